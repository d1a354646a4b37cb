package dev.aigateway.core.pipeline;

import java.util.List;

/**
 * A gateway's stages, outermost first, each with the phases its calls take part in ({@link
 * CallStage.Factory#phases()}, read once when the gateway is built). Immutable and shared by every
 * call; internal to the library.
 */
public final class Pipeline {

  private final List<CallStage.Factory> factories;
  private final int[] phases;

  /** Every phase some stage takes part in: a call skips the others without walking its stages. */
  private final int anyPhases;

  private Pipeline(List<CallStage.Factory> factories) {
    this.factories = List.copyOf(factories);
    this.phases = new int[this.factories.size()];
    for (int i = 0; i < phases.length; i++) {
      int told = this.factories.get(i).phases();
      if ((told & ~(CallStage.ALL_PHASES | CallStage.USAGE)) != 0) {
        throw new IllegalArgumentException(
            "stage "
                + this.factories.get(i)
                + " names phases that do not exist: "
                + Integer.toBinaryString(told));
      }
      phases[i] = told;
    }
    int any = 0;
    for (int told : phases) {
      any |= told;
    }
    this.anyPhases = any;
  }

  /** The pipeline of these stage factories, outermost first. */
  public static Pipeline of(List<CallStage.Factory> factories) {
    return new Pipeline(factories);
  }

  /** The stage factories, outermost first (an immutable list). */
  public List<CallStage.Factory> factories() {
    return factories;
  }

  /** How many stages there are. */
  public int size() {
    return phases.length;
  }

  /** True when there is no stage at all. */
  public boolean isEmpty() {
    return phases.length == 0;
  }

  /**
   * The phases stage {@code i} takes part in, as bits of {@link CallStage#ALL_PHASES} (and {@link
   * CallStage#USAGE}).
   */
  public int phases(int i) {
    return phases[i];
  }

  /**
   * Whether any stage takes part in {@code phase} (one of {@link CallStage#ALL_PHASES}' bits): when
   * none does, a call need not walk its stages for it.
   */
  public boolean anyIn(int phase) {
    return (anyPhases & phase) != 0;
  }

  /**
   * Begins one call: one stage per factory, in order, which the exchange is also told of (with each
   * stage's phases) so that only the stages with {@link CallStage#DESCRIBE} describe the call.
   */
  public CallStage[] begin(Exchange exchange) {
    CallStage[] stages = new CallStage[phases.length];
    for (int i = 0; i < stages.length; i++) {
      stages[i] = factories.get(i).begin(exchange);
    }
    exchange.stages(stages, phases); // the shared array: the exchange only reads it
    return stages;
  }
}
