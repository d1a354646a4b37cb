package dev.aigateway.examples.sdk;

import dev.aigateway.api.GatewayEvent;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * What an SDK example saw: the answer to a chat call, the streamed answer, whether the limit then
 * refused a call, and the gateway's events.
 *
 * @param answer the first call's answer
 * @param streamedAnswer the streamed call's answer, put together
 * @param refused whether the call after them was refused
 * @param events the gateway's events, one per call
 */
public record SdkOutcome(
    String answer, String streamedAnswer, boolean refused, List<GatewayEvent> events) {

  /** Copies the events, so the outcome does not change with later calls. */
  public SdkOutcome {
    events = List.copyOf(events);
  }

  /** The outcome, after printing its events to {@code out} the way the examples show them. */
  static SdkOutcome printed(
      PrintStream out,
      String answer,
      String streamedAnswer,
      boolean refused,
      List<GatewayEvent> events) {
    for (GatewayEvent event : events) {
      out.printf(
          Locale.ROOT,
          "event: %-8s stream=%-5s tokens=%d (%s)%n",
          event.outcome(),
          event.stream(),
          event.usage().tokens().totalTokens(),
          event.rejection() == null ? event.usage().outputSource() : event.rejection());
    }
    return new SdkOutcome(answer, streamedAnswer, refused, events);
  }
}
