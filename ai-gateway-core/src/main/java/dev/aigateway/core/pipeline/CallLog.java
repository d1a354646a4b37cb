package dev.aigateway.core.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logger a governed call's parts log under (the orchestrator, the exchange, the stages, the
 * token store's guard), where an application configures the gateway's call logging: named after the
 * orchestrator, {@code dev.aigateway.core.adapter.GovernedCall} ({@code docs/store-failures.md}),
 * and held here so that the stages log under it without naming the package above them. Internal to
 * the library.
 */
public final class CallLog {

  /** The logger's name. */
  public static final String NAME = "dev.aigateway.core.adapter.GovernedCall";

  private CallLog() {}

  /** The logger itself. */
  public static Logger logger() {
    return LoggerFactory.getLogger(NAME);
  }
}
