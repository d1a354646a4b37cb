package dev.aigateway.api;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The checks every state-change record of the gateway makes ({@link BreakerTransition}, {@link
 * StoreTransition}, {@link ConsumerTransition}), in one place so their messages read alike.
 */
final class Transitions {

  private Transitions() {}

  /** A transition must change state. */
  static void requireChange(Object from, Object to) {
    if (from == to) {
      throw new IllegalArgumentException(
          "a transition must change state but went from " + from + " to " + to);
    }
  }

  /**
   * A duration that is required (and not negative) exactly when {@code required} holds, and null
   * otherwise.
   *
   * @param name the component's name, for the message
   * @param when the condition in words ("opening"), for the message
   * @param to the state the transition goes to, for the message
   */
  static void requireDurationWhen(
      String name, @Nullable Duration value, boolean required, String when, Object to) {
    if (required) {
      if (value == null || value.isNegative()) {
        throw new IllegalArgumentException(
            name + " must be >= 0 when " + when + " but was " + value);
      }
    } else {
      requireAbsentUnless(name, value, when, to);
    }
  }

  /** A value that is required exactly when {@code required} holds, and null otherwise. */
  static void requireWhen(
      String name, @Nullable Object value, boolean required, String when, Object to) {
    if (required) {
      if (value == null) {
        throw new IllegalArgumentException(name + " must be set when " + when + " but was null");
      }
    } else {
      requireAbsentUnless(name, value, when, to);
    }
  }

  private static void requireAbsentUnless(
      String name, @Nullable Object value, String when, Object to) {
    if (value != null) {
      throw new IllegalArgumentException(
          name + " must be null unless " + when + ", but was " + value + " for " + to);
    }
  }
}
