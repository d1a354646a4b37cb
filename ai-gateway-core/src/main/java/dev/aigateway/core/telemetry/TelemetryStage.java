package dev.aigateway.core.telemetry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.RoutingInfo;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.Usage;
import dev.aigateway.api.UsageInfo;
import dev.aigateway.core.pipeline.CallLog;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.wire.Json;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.ResponseReadout;
import dev.aigateway.core.wire.WireRequest;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

/**
 * The telemetry stage, outermost: once the call has ended and every other stage has done its end,
 * builds the call's one {@link GatewayEvent} (each stage describes its part), hands it to the
 * listeners and, for the calls the prompt log selects, logs the prompt and completion. Listener
 * failures are logged and never reach the call.
 */
public final class TelemetryStage implements CallStage {

  // Logged under the call's name, where an application configures the gateway's call logging.
  private static final Logger log = CallLog.logger();
  private static final List<String> CONTENT_FIELDS =
      List.of(
          "instructions",
          "system",
          "systemInstruction",
          "system_instruction",
          "messages",
          "contents",
          "input",
          "prompt",
          "tools",
          "toolConfig",
          // Converse on a prompt from Prompt management: the caller's values its template embeds.
          "promptVariables",
          // Bedrock InvokeModel takes each model family's own body: Titan's prompt, Cohere
          // Command's message, history, system prompt and retrieved documents, Cohere Embed's
          // texts.
          "inputText",
          "message",
          "chat_history",
          "preamble",
          "documents",
          "texts");

  // The gateway's listeners, prompt log and prices are the factory's: a call's stage holds only
  // what is its own (one object per call, kept small).
  private final Exchange exchange;
  private final TelemetryFactory factory;
  private Boolean logsPrompt;

  /**
   * The routing of a call sent where the application sent it, told when the call's stages begin,
   * while the request is at hand (the event is built after the whole body); null for a gateway with
   * a backend pool, whose calls the pool routes.
   */
  private final @Nullable RoutingInfo direct;

  private TelemetryStage(Exchange exchange, TelemetryFactory factory) {
    this.exchange = exchange;
    this.factory = factory;
    if (factory.pooled) {
      this.direct = null;
    } else {
      WireRequest request = exchange.request();
      this.direct = factory.direct(request.provider(), request.host(), request.port());
    }
  }

  /**
   * The stage for a gateway's listeners and prompt log, or null when it has neither.
   *
   * @param pooled whether the gateway routes its calls over a backend pool (else each call goes
   *     where the application sent it)
   */
  public static CallStage.@Nullable Factory of(
      List<GatewayListener> listeners,
      @Nullable PromptLog promptLog,
      @Nullable PriceTable prices,
      boolean pooled) {
    return listeners.isEmpty() && promptLog == null
        ? null
        : new TelemetryFactory(listeners, promptLog, prices, pooled);
  }

  /**
   * A gateway's telemetry: its listeners, prompt log and prices, and the direct routing last told.
   */
  private static final class TelemetryFactory implements CallStage.Factory {
    final List<GatewayListener> listeners;
    final @Nullable PromptLog promptLog;
    final @Nullable PriceTable prices;

    /** Whether a backend pool routes the gateway's calls (no call is then told a direct route). */
    final boolean pooled;

    /**
     * The routing of the direct call described last (immutable, shared by all threads): calls to
     * one server follow each other, and the next one's event reports the same object.
     */
    volatile @Nullable RoutingInfo recentDirect;

    TelemetryFactory(
        List<GatewayListener> listeners,
        @Nullable PromptLog promptLog,
        @Nullable PriceTable prices,
        boolean pooled) {
      this.listeners = listeners;
      this.promptLog = promptLog;
      this.prices = prices;
      this.pooled = pooled;
    }

    @Override
    public CallStage begin(Exchange exchange) {
      return new TelemetryStage(exchange, this);
    }

    /**
     * Telemetry admits every call (what it tells of the call's route it learns when the stage
     * begins), neither holds nor replaces the body, and observes the body only to have the prompt
     * log's calls keep their text: a gateway without a prompt log leaves the body unobserved.
     */
    @Override
    public int phases() {
      return (promptLog != null ? CallStage.OBSERVE : 0)
          | CallStage.END
          | CallStage.USAGE
          | CallStage.DESCRIBE;
    }

    /** The routing of a call sent where the application sent it: the last one when it is equal. */
    RoutingInfo direct(@Nullable String provider, @Nullable String host, int port) {
      RoutingInfo recent = recentDirect;
      if (recent != null
          && recent.serverPort() == port
          && Objects.equals(recent.serverAddress(), host)
          && Objects.equals(recent.provider(), provider)) {
        return recent;
      }
      recent = RoutingInfo.direct(provider, host, port);
      recentDirect = recent;
      return recent;
    }
  }

  @Override
  public void observe(ObservedBody body) {
    if (logsPrompt()) {
      body.keepText();
    }
  }

  @Override
  public void end() {
    GatewayEvent.Builder builder = GatewayEvent.builder();
    exchange.describeStages(builder);
    GatewayEvent event = builder.build();
    List<GatewayListener> listeners = factory.listeners;
    for (int i = 0; i < listeners.size(); i++) {
      GatewayListener listener = listeners.get(i);
      try {
        listener.onEvent(event);
      } catch (RuntimeException | Error e) {
        if (e instanceof VirtualMachineError) {
          throw e;
        }
        log.warn(
            "ai-gateway: listener {} failed on call {}; the call is unaffected",
            listener,
            exchange.callId(),
            e);
      }
    }
    if (logsPrompt()) {
      ResponseReadout readout = exchange.readout();
      factory.promptLog.log(
          event, requestContent(exchange.request()), readout == null ? null : readout.completion());
    }
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    Exchange x = exchange;
    WireRequest request = x.request();
    long now = x.endNanos() != 0 ? x.endNanos() : System.nanoTime(); // the call's end, read once
    event
        .callId(x.callId())
        .operation(request.operation())
        .consumer(x.consumer())
        .requestedModel(x.requestedModel())
        .responseModel(x.responseModel())
        .stream(x.stream())
        .status(x.status())
        .outcome(x.outcome())
        .rejection(x.rejection())
        .errorType(x.errorType())
        .contentFiltered(
            x.promptFiltered() || (x.readout() != null && x.readout().contentFiltered()))
        .usage(
            new UsageInfo(
                x.usage(),
                x.inputSource(),
                x.usageSource(),
                x.usageCapped(),
                cost(x.responseModel(), x.usage())))
        .timing(
            new TimingInfo(
                x.startedAt(),
                Duration.ofNanos(now - x.startNanos()),
                x.stream() && x.firstChunkNanos() != 0
                    ? Duration.ofNanos(x.firstChunkNanos() - x.startNanos())
                    : null,
                Duration.ofNanos(x.gatewayNanos())));
    if (!x.route().pooled()) { // no routing stage: the call went where the application sent it
      RoutingInfo routing = direct;
      event.routing(
          routing != null && !x.bodyRewritten()
              ? routing // told at admission; a rewritten request is asked again
              : factory.direct(request.provider(), request.host(), request.port()));
    }
  }

  /** Whether the prompt log takes this call; decided once, since it samples by call id. */
  private boolean logsPrompt() {
    if (logsPrompt == null) {
      logsPrompt =
          factory.promptLog != null
              && factory.promptLog.wants(
                  exchange.consumer(), exchange.requestedModel(), exchange.callId());
    }
    return logsPrompt;
  }

  private BigDecimal cost(String responseModel, Usage usage) {
    PriceTable prices = factory.prices;
    if (prices == null || usage.totalTokens() == 0) {
      return null;
    }
    Optional<BigDecimal> answered =
        responseModel == null ? Optional.empty() : prices.cost(responseModel, usage);
    return answered.or(() -> prices.cost(exchange.requestedModel(), usage)).orElse(null);
  }

  /** What the application asked, for the prompt log: the body's content fields as JSON. */
  private static String requestContent(WireRequest request) {
    ObjectNode body = request.body();
    if (body == null) {
      return new String(request.rawBody(), StandardCharsets.UTF_8);
    }
    ObjectNode content = Json.MAPPER.createObjectNode();
    for (String field : CONTENT_FIELDS) {
      if (body.has(field)) {
        content.set(field, body.get(field));
      }
    }
    return content.toString();
  }
}
