package dev.aigateway.core.pipeline;

import dev.aigateway.api.Usage;

/**
 * Refuses a call the gateway cannot govern before any other stage sees it: one whose output
 * allowance ({@code max_tokens} × {@code n}) is above {@link Usage#MAX_TOKENS} gets a local 400 in
 * OpenAI's shape naming the field and the bound (see {@link OutputAllowance}). Part of every
 * gateway that governs anything, right inside telemetry.
 */
public final class AllowanceStage implements CallStage {

  /** The stage's factory; it holds no configuration. The stage only admits. */
  public static final CallStage.Factory FACTORY =
      new CallStage.Factory() {
        @Override
        public CallStage begin(Exchange exchange) {
          return new AllowanceStage(exchange);
        }

        @Override
        public int phases() {
          return ADMIT;
        }
      };

  private final Exchange exchange;

  private AllowanceStage(Exchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public Admission admit() {
    if (exchange.outputAllowance() <= Usage.MAX_TOKENS) {
      return null; // within the bound: no allowance built
    }
    return exchange.rejected(exchange.allowance().rejection(exchange.request().format()));
  }
}
