package dev.aigateway.micrometer;

import dev.aigateway.api.GatewayEvent;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A custom metric dimension: a value taken from each call's {@link GatewayEvent}, added as a tag to
 * the per-call meters. A null or empty value is recorded as {@code none}. Values beyond {@link
 * GenAiMetrics.Builder#maxValuesPerDimension(int) the limit of distinct values}, and values longer
 * than {@link GenAiMetrics#MAX_VALUE_LENGTH} characters, are recorded as {@code other}.
 *
 * <pre>{@code
 * GenAiMetrics.builder(registry)
 *     .dimension("team", Dimension.consumer())
 *     .dimension("backend", Dimension.backend())
 *     .dimension("app", event -> event.consumer().startsWith("batch-") ? "batch" : "online")
 *     .build();
 * }</pre>
 *
 * <p>Events never carry request headers (they may hold secrets). To tag by a header, let the
 * gateway resolve it as a counter key and take that:
 *
 * <pre>{@code
 * AiGateway.builder()
 *     .tokenLimit(TokenLimit.per("team", KeyResolvers.header("x-team")).tokensPerMinute(50_000))
 *     .listener(GenAiMetrics.builder(registry)
 *         .dimension("team", Dimension.counterKey("team")).build());
 * }</pre>
 *
 * <p>Implementations run on the thread that ended the call: keep them quick and side-effect free.
 * One that throws (an exception, or an error such as a missing class) is recorded as {@code none}
 * (and logged once).
 */
@FunctionalInterface
public interface Dimension {

  /** The dimension's value for this call, or null when it has none. */
  @Nullable String valueOf(GatewayEvent event);

  /** The consumer the call was charged to. */
  static Dimension consumer() {
    return GatewayEvent::consumer;
  }

  /** The backend that answered the call; {@code none} when the call was not routed. */
  static Dimension backend() {
    return event -> event.routing().backendId();
  }

  /** The traffic-split variant the call went to; {@code none} when no split applied. */
  static Dimension variant() {
    return event -> event.routing().variant();
  }

  /**
   * The counter key the named token limit counted the call under; {@code none} when that limit did
   * not apply to the call. A gateway that has no token limit of that name refuses the metrics when
   * it is built ({@link GenAiMetrics#limitsRead()}).
   */
  static Dimension counterKey(String limitName) {
    return new CounterKeyDimension(limitName);
  }

  /** Any function of the event, for example one kept elsewhere in the application. */
  static Dimension of(Function<GatewayEvent, ? extends @Nullable String> function) {
    Objects.requireNonNull(function, "function");
    return function::apply;
  }
}
