package dev.aigateway.testing;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An SLF4J logger that keeps every line logged to it (formatted as SLF4J would, with the arguments
 * in place) with its level, for tests to read. Thread-safe. Every level is enabled unless a test
 * turns one off with {@link #enable}; {@link #beforeRecording} lets a test make a logging call slow
 * or fail.
 */
public class CapturingLogger extends LegacyAbstractLogger {

  private static final long serialVersionUID = 1L;

  private final List<Line> lines = new CopyOnWriteArrayList<>();
  private volatile boolean trace = true;
  private volatile boolean debug = true;
  private volatile boolean info = true;
  private volatile boolean warn = true;
  private volatile boolean error = true;

  /** One line logged: its level and its formatted message. */
  public record Line(Level level, String message) {
    @Override
    public String toString() {
      return level + " " + message;
    }
  }

  /** A logger named {@code name} (as the code under test would look it up). */
  public CapturingLogger(String name) {
    this.name = Objects.requireNonNull(name, "name");
  }

  /** Every line so far, in order. */
  public List<Line> all() {
    return List.copyOf(lines);
  }

  /** The messages of every line so far, in order. */
  public List<String> lines() {
    return lines.stream().map(Line::message).toList();
  }

  /** The messages logged at {@code level}, in order. */
  public List<String> lines(Level level) {
    return lines.stream().filter(line -> line.level() == level).map(Line::message).toList();
  }

  /** The messages logged at WARN, in order. */
  public List<String> warnings() {
    return lines(Level.WARN);
  }

  /** Turns a level on or off; a call at a level turned off is not recorded. */
  public void enable(Level level, boolean enabled) {
    switch (level) {
      case TRACE -> trace = enabled;
      case DEBUG -> debug = enabled;
      case INFO -> info = enabled;
      case WARN -> warn = enabled;
      case ERROR -> error = enabled;
    }
  }

  /** Forgets every line so far. */
  public void clear() {
    lines.clear();
  }

  /**
   * Runs before a line is recorded, on the logging thread; does nothing here. A test overrides it
   * to make logging slow or throw, as a broken appender would.
   */
  protected void beforeRecording(Level level) {}

  @Override
  protected void handleNormalizedLoggingCall(
      Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
    beforeRecording(level);
    lines.add(new Line(level, MessageFormatter.basicArrayFormat(pattern, arguments)));
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  public boolean isTraceEnabled() {
    return trace;
  }

  @Override
  public boolean isDebugEnabled() {
    return debug;
  }

  @Override
  public boolean isInfoEnabled() {
    return info;
  }

  @Override
  public boolean isWarnEnabled() {
    return warn;
  }

  @Override
  public boolean isErrorEnabled() {
    return error;
  }
}
