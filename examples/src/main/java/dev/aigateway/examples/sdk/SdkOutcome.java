package dev.aigateway.examples.sdk;

import dev.aigateway.api.GatewayEvent;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Prints the gateway's events the way the SDK examples show them: one line per call. */
final class ExampleEvents {

  private ExampleEvents() {}

  static void print(PrintStream out, List<GatewayEvent> events) {
    for (GatewayEvent event : events) {
      out.printf(
          Locale.ROOT,
          "event: %-8s stream=%-5s tokens=%d (%s)%n",
          event.outcome(),
          event.stream(),
          event.usage().tokens().totalTokens(),
          event.rejection() == null ? event.usage().outputSource() : event.rejection());
    }
  }
}
