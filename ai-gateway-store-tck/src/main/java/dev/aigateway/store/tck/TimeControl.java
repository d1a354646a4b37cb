package dev.aigateway.store.tck;

import java.time.Duration;

/**
 * Moves the time a store under test reads. Each contract suite asks its subclass for one ({@code
 * time()}), right after it made the store:
 *
 * <ul>
 *   <li>a store built on a {@link java.time.Clock} or a nanosecond ticker is given one that stands
 *       still until the test moves it, and its {@code TimeControl} moves it: {@code return
 *       clock::advance;}
 *   <li>a store that takes its time from elsewhere, for example a Redis server's {@code TIME},
 *       returns {@link #NONE}: the tests marked {@link NeedsTimeControl} are then skipped (JUnit
 *       reports them as aborted), and every other test still runs.
 * </ul>
 */
@FunctionalInterface
public interface TimeControl {

  /**
   * For a store whose time a test can neither move nor stop: the suites skip the tests that need
   * either. {@link #advance} throws.
   */
  TimeControl NONE =
      new TimeControl() {
        @Override
        public void advance(Duration duration) {
          throw new IllegalStateException(
              "the store's time cannot be moved; a test that moves it "
                  + "must be marked @NeedsTimeControl");
        }

        @Override
        public boolean controlsTime() {
          return false;
        }

        @Override
        public String toString() {
          return "TimeControl.NONE";
        }
      };

  /**
   * Moves the store's time on by {@code duration}. The suites pass positive durations; a store's
   * own tests may pass negative ones to step its clock back.
   */
  void advance(Duration duration);

  /**
   * Whether the store's time stands still except when {@link #advance} moves it; true for every
   * control but {@link #NONE}.
   */
  default boolean controlsTime() {
    return true;
  }
}
