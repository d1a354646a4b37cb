package dev.aigateway.core.pipeline;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.wire.ObservedBody;
import java.io.InputStream;

/**
 * One stage of the pipeline, for one governed call. The gateway holds one {@link Factory} per
 * configured stage, in pipeline order (outermost first); {@code core.adapter.GovernedCall} makes
 * each stage's call part when a call begins and drives them:
 *
 * <ol>
 *   <li>{@link #admit} in pipeline order, before anything is sent. A stage that answers the call
 *       itself (a rejection, a cached answer) stops the stages after it; their {@code admit} never
 *       runs, and neither does anything else of theirs.
 *   <li>{@link #observe} in pipeline order, when a backend's successful body is about to be read: a
 *       stage asks the body for what it needs at the end (a copy, the text).
 *   <li>{@link #end} in reverse order, exactly once for each stage whose {@code admit} ran, after
 *       the call's outcome and usage are known ({@link Exchange#outcome()}).
 *   <li>{@link #describe}, while the event is built: a stage sets its group of the event.
 * </ol>
 *
 * <p>A stage never throws for a call: what can fail inside it (a store, a resolver, an embedding
 * model) is caught, logged without content and turned into the documented outcome.
 */
public interface CallStage {

  /** The phase of {@link #admit}, as a bit of {@link Factory#phases()}. */
  int ADMIT = 1;

  /** The phase of {@link #hold}, as a bit of {@link Factory#phases()}. */
  int HOLD = 1 << 1;

  /** The phase of {@link #observe}, as a bit of {@link Factory#phases()}. */
  int OBSERVE = 1 << 2;

  /** The phase of {@link #deliver}, as a bit of {@link Factory#phases()}. */
  int DELIVER = 1 << 3;

  /** The phase of {@link #end}, as a bit of {@link Factory#phases()}. */
  int END = 1 << 4;

  /** The phase of {@link #describe}, as a bit of {@link Factory#phases()}. */
  int DESCRIBE = 1 << 5;

  /** Every phase: a stage whose factory does not tell is asked in each. */
  int ALL_PHASES = ADMIT | HOLD | OBSERVE | DELIVER | END | DESCRIBE;

  /**
   * Not a phase but a trait of {@link #END}, as a bit of {@link Factory#phases()}: the stage's end
   * reads the call's usage (it settles the limits, records or reports it). For a Responses API
   * background response answered before it was generated, such ends wait until a poll of the
   * response reports its usage, or its time in {@code core.adapter.BackgroundResponses} is up; the
   * other ends run when the answer has been read. Not part of {@link #ALL_PHASES}: a stage whose
   * factory does not tell ends at once.
   */
  int USAGE = 1 << 6;

  /**
   * Decides before the call is sent. By default null: the stage lets every call go on.
   *
   * @return null to go on to the next stage; or the call's answer (a rejection, a cached answer),
   *     in which case the stage has set the exchange's outcome
   */
  default Admission admit() {
    return null;
  }

  /**
   * A backend's 2xx JSON (not streamed) body, before anything reads it: a stage may read it ahead
   * of the application (content safety holds an answer to check it whole) and return the stream to
   * be observed and read in its place, which must give the same bytes (and the same failure, if
   * reading fails). By default {@code body} itself: nothing is read. Called in pipeline order,
   * before {@link #observe}.
   */
  default InputStream hold(InputStream body) {
    return body;
  }

  /** A backend's 2xx body is about to be read by the application. */
  default void observe(ObservedBody body) {}

  /**
   * The body the application reads: {@code body} (the observed body, or what an earlier stage made
   * of it), or a stream of the stage's own that reads it (content safety screens a streamed answer
   * and may {@linkplain ObservedBody#stop stop} it). Called after {@link #observe}, in pipeline
   * order.
   */
  default InputStream deliver(ObservedBody observed, InputStream body) {
    return body;
  }

  /** The call has ended; its outcome and usage are on the exchange. */
  default void end() {}

  /**
   * Adds what this stage knows of the call to its event: its own group, set whole (for example
   * {@code event.limits(...)}), left at its {@code NONE} value when the stage did nothing for the
   * call.
   */
  default void describe(GatewayEvent.Builder event) {}

  /** Makes a stage's part of one call. One per configured stage, held by the gateway. */
  @FunctionalInterface
  interface Factory {
    CallStage begin(Exchange exchange);

    /**
     * The phases ({@link #ADMIT}, {@link #HOLD}, {@link #OBSERVE}, {@link #DELIVER}, {@link #END},
     * {@link #DESCRIBE}) in which this factory's stages do something; the orchestrator skips a
     * stage in the others, whose methods would do nothing (their defaults: go on, the body as it
     * is, no end, no part of the event). Read once, when the gateway is built. A stage skipped in
     * {@link #ADMIT} counts as admitted: its {@link #end} still runs when asked for. By default
     * every phase.
     */
    default int phases() {
      return ALL_PHASES;
    }
  }
}
