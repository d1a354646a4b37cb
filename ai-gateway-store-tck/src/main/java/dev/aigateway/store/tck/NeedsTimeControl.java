package dev.aigateway.store.tck;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a contract test that needs the store's time under the test's control: moved by {@link
 * TimeControl#advance}, or standing still while the test compares exact refills, waits or window
 * ends. Such a test is skipped (a JUnit assumption) when the store's {@code time()} is {@link
 * TimeControl#NONE}.
 *
 * <p>It is also the JUnit tag {@value #TAG}, so a build can leave these tests out on purpose, for
 * example with Surefire's {@code <excludedGroups>time-control</excludedGroups>}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Tag(NeedsTimeControl.TAG)
public @interface NeedsTimeControl {

  /** The JUnit tag of these tests. */
  String TAG = "time-control";
}
