package dev.aigateway.core;

/**
 * What a stream the application closes before its end is charged for, when the backend reported no
 * usage before the close (it reports it only in the last event). The backend may go on generating,
 * and billing, after the close: how far it gets depends on the provider, so the gateway cannot know
 * the count and must estimate it one way or the other.
 *
 * <pre>{@code
 * AiGateway.builder().closedStreamCharge(ClosedStreamCharge.OUTPUT_ALLOWANCE) // never undercharge
 * }</pre>
 *
 * Either way the event says the usage was {@link dev.aigateway.api.UsageSource#ESTIMATED} and the
 * call's outcome is {@link dev.aigateway.api.CallOutcome#CANCELLED}.
 */
public enum ClosedStreamCharge {

  /**
   * The default: the prompt plus the tokens of the text the application read. Exact for what
   * reached the application; undercharges what the backend generated after the close.
   */
  TEXT_READ,

  /**
   * The prompt plus the call's whole output allowance ({@code max_tokens}, or the gateway's default
   * allowance), or the text read if that is more: never less than the backend can have generated,
   * so limits stay on the safe side at the cost of overcharging an early close.
   */
  OUTPUT_ALLOWANCE
}
