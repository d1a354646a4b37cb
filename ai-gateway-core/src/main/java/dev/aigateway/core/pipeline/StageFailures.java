package dev.aigateway.core.pipeline;

/**
 * The one rule for which failures of a stage, or of a part the application plugged into one, end a
 * call as failed and which go on up: every exception and every {@link Error} (an {@code
 * AssertionError}, a {@code NoClassDefFoundError} of a part whose runtime could not load, a stack
 * overflow of an application's pattern that recursed on a long prompt) is the call's to handle;
 * only the JVM's own failures (a {@link VirtualMachineError} other than {@link StackOverflowError}:
 * out of memory, an internal error) are thrown on, since nothing can be relied on after them.
 * Internal to the library.
 */
public final class StageFailures {

  private StageFailures() {}

  /**
   * Throws {@code failure} when the JVM cannot go on after it (a {@link VirtualMachineError} other
   * than a stack overflow); returns otherwise, for the caller to handle it as the call's failure.
   *
   * @param failure what a stage or a part of the application's threw
   */
  public static void rethrowIfFatal(Throwable failure) {
    if (isFatal(failure)) {
      throw (VirtualMachineError) failure;
    }
  }

  /**
   * Whether the JVM cannot go on after {@code failure}: a {@link VirtualMachineError} other than a
   * stack overflow (out of memory, an internal error).
   *
   * @param failure what a stage or a part of the application's threw
   */
  public static boolean isFatal(Throwable failure) {
    return failure instanceof VirtualMachineError && !(failure instanceof StackOverflowError);
  }
}
