package dev.aigateway.benchmarks;

import com.sun.management.ThreadMXBean;
import dev.aigateway.core.wire.SseBody;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

/**
 * What the observed body of a governed OpenAI chat stream costs on its own: the canned stream of
 * {@value CannedBackend#STREAM_CHUNKS} chunks with {@code "usage":null} on each and the usage-only
 * chunk (as OpenAI sends it when the gateway asked for usage), handed out one event per read as a
 * socket does when the backend flushes every event, read whole by the application through {@link
 * SseBody} hiding usage (each {@code "usage":null} cut, the usage chunk dropped). No HTTP client,
 * no limits, no telemetry: the per-chunk work of the stream path alone, and what each stream
 * allocates for it ({@code -prof gc}). {@code plainEvents} reads the same events without the body,
 * for scale.
 *
 * <p>With {@code instrument} {@code v2} (the default) every stream has its own id and the creation
 * time of its second, as a real backend's streams have ({@link CannedBackend.Stamp}, written over
 * the previous stream's in place: no allocation, a few hundred bytes written per stream, in every
 * benchmark alike); with {@code v1} every stream is the same bytes, as before.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar SseBodyBenchmark -prof gc} (add {@code
 * -p instrument=v1} for the earlier instrument); numbers in docs/benchmarks.md.
 */
public class SseBodyBenchmark extends MicroBenchmark {

  /** {@code v2}: each stream its own id and time; {@code v1}: the same stream every time. */
  @Param({"v2"})
  public String instrument = "v2";

  private final byte[] buffer = new byte[8192];
  private final WireFormatBenchmark.Outcome outcome = new WireFormatBenchmark.Outcome();
  private final byte[] events = CannedBackend.EVENTS_WITH_USAGE.clone();
  private final int[] eventEnds = LoopbackBackend.eventEnds(events);
  private boolean varying;
  private long streams;

  @Setup
  public void setUp() throws IOException {
    if (!instrument.equals("v1") && !instrument.equals("v2")) {
      throw new IllegalArgumentException("an instrument is v1 or v2, not " + instrument);
    }
    varying = instrument.equals("v2");
    if (hiddenStream() != CannedBackend.EVENTS.length
        || outcome.usage == null
        || outcome.usage.outputTokens() != CannedBackend.STREAM_CHUNKS - 2) {
      throw new IllegalStateException("the body did not read the stream: " + outcome.usage);
    }
  }

  /** The stream read through the body hiding usage; returns the bytes the application saw. */
  @Benchmark
  public long hiddenStream() throws IOException {
    long seen = 0;
    try (SseBody body = hidingBody()) {
      for (int n; (n = body.read(buffer, 0, buffer.length)) >= 0; ) {
        seen += n;
      }
    }
    return seen;
  }

  /**
   * As {@link #hiddenStream}, read as the OkHttp adapter reads it ({@link SseBody#readScratch}: the
   * events framed in the application's buffer, each byte copied once).
   */
  @Benchmark
  public long hiddenStreamInPlace() throws IOException {
    long seen = 0;
    try (SseBody body = hidingBody()) {
      for (int n; (n = body.readScratch(buffer, 0, buffer.length)) >= 0; ) {
        seen += n;
      }
    }
    return seen;
  }

  /**
   * A body over the next stream (with its own id and time under v2), one event per read, hiding the
   * usage the gateway asked for.
   */
  private SseBody hidingBody() {
    return new SseBody(
        new EventAtATime(nextStream(), eventEnds), outcome, () -> false, false, true);
  }

  /** The same events read straight from the stream, without the body. */
  @Benchmark
  public long plainEvents() throws IOException {
    long seen = 0;
    InputStream in = new EventAtATime(nextStream(), eventEnds);
    for (int n; (n = in.read(buffer, 0, buffer.length)) >= 0; ) {
      seen += n;
    }
    return seen;
  }

  /** The stream's bytes, given the next stream's id and the current second under v2. */
  private byte[] nextStream() {
    if (varying) {
      CannedBackend.EVENTS_WITH_USAGE_STAMP.onto(
          events, ++streams, System.currentTimeMillis() / 1000);
    }
    return events;
  }

  /**
   * Without JMH: reads the stream through the body {@code streams} times a round, five rounds, and
   * prints each round's bytes allocated and thread CPU time per stream (the reading thread's own,
   * which other work on the machine disturbs less than wall time).
   *
   * <pre>
   * java -cp benchmarks.jar dev.aigateway.benchmarks.SseBodyBenchmark [streams per round=100000] [inPlace]
   *     [--instrument=v1|v2]
   * </pre>
   *
   * <p>With {@code inPlace}, the stream is read as {@link #hiddenStreamInPlace} reads it (as the
   * OkHttp adapter does), else as {@link #hiddenStream}.
   *
   * @param all the streams per round, and {@code inPlace} or nothing; anywhere among them {@code
   *     --instrument=v1} or {@code --instrument=v2} (the default)
   */
  public static void main(String[] all) throws IOException {
    String[] args = CpuHarness.Instrument.without(all);
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    boolean inPlace = args.length > 1 && args[1].equals("inPlace");
    SseBodyBenchmark benchmark = new SseBodyBenchmark();
    benchmark.instrument = CpuHarness.Instrument.of(all).name().toLowerCase(Locale.ROOT);
    benchmark.setUp();
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long seen = 0;
    for (int round = 1; round <= 5; round++) {
      long bytes = threads.getThreadAllocatedBytes(thread);
      long cpu = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < streams; i++) {
        seen += inPlace ? benchmark.hiddenStreamInPlace() : benchmark.hiddenStream();
      }
      cpu = threads.getCurrentThreadCpuTime() - cpu;
      bytes = threads.getThreadAllocatedBytes(thread) - bytes;
      System.out.printf(
          "round %d: %.1f B/stream, %.2f us CPU/stream%n",
          round, bytes / (double) streams, cpu / 1000.0 / streams);
    }
    System.out.println("bytes seen: " + seen);
  }

  /** A stream's bytes, at most one event (up to its blank line) per read. */
  private static final class EventAtATime extends InputStream {
    private final byte[] events;
    private final int[] ends;
    private int position;
    private int next;

    EventAtATime(byte[] events, int[] ends) {
      this.events = events;
      this.ends = ends;
    }

    @Override
    public int read() {
      throw new UnsupportedOperationException("read in blocks");
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (position == events.length) {
        return -1;
      }
      while (next < ends.length && ends[next] <= position) {
        next++;
      }
      int end = next < ends.length ? ends[next] : events.length;
      int n = Math.min(len, end - position);
      System.arraycopy(events, position, b, off, n);
      position += n;
      return n;
    }
  }
}
