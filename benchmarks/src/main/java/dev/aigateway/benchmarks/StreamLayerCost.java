package dev.aigateway.benchmarks;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import okio.Buffer;
import okio.BufferedSource;
import okio.Okio;
import okio.Source;
import okio.Timeout;

/**
 * What the okio layer that the OkHttp adapter puts between a streamed response and the application
 * costs, without any gateway code, and how much of it passing the upstream's segments on instead of
 * copying them would save: the bound on what a framer working on OkHttp's segments in place could
 * buy. The canned stream of {@value CannedBackend#STREAM_CHUNKS} chunks with usage (as OpenAI sends
 * it when the gateway asked for usage), handed out one event per read as OkHttp's chunked source
 * does when the backend flushes every event, read by lines as an SDK reads it ({@code
 * readUtf8Line}), in three ways, side by side in each round:
 *
 * <ul>
 *   <li>{@code plain}: the application reads the upstream's {@link BufferedSource} itself, as
 *       without the gateway;
 *   <li>{@code copied}: through one more {@link Source} that reads the upstream's {@link
 *       InputStream} straight into the free room of the application's buffer (an {@link
 *       Buffer.UnsafeCursor}), as the adapter's {@code ObservedSource} does (one copy of each
 *       byte);
 *   <li>{@code moved}: through one more {@link Source} that moves the upstream's segments to the
 *       application's buffer and then finds the new bytes there with a cursor, as a framer on
 *       OkHttp's segments would have to (no copy).
 * </ul>
 *
 * <p>{@code copied - plain} is what the layer costs per stream; {@code copied - moved} the most
 * that passing segments on can save (before any work of hiding usage across segment boundaries).
 * Each figure is the reading thread's CPU time per stream (less disturbed by other work on the
 * machine than wall time) and its allocated bytes.
 *
 * <pre>
 * java -cp benchmarks.jar dev.aigateway.benchmarks.StreamLayerCost [streams per round=200000] [rounds=8]
 * </pre>
 */
public final class StreamLayerCost {

  private StreamLayerCost() {}

  /** The ways of reading, in the order each round runs them. */
  static final String[] WAYS = {"plain", "copied", "moved"};

  /** Runs the rounds and prints each one's CPU time and allocation per stream for each way. */
  public static void main(String[] args) throws IOException {
    int streams = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    byte[] events = CannedBackend.EVENTS_WITH_USAGE;
    int[] ends = LoopbackBackend.eventEnds(events);
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long expected = -1;
    for (int round = 1; round <= rounds; round++) {
      StringBuilder line = new StringBuilder("round " + round + ":");
      for (int way = 0; way < WAYS.length; way++) {
        long bytes = threads.getThreadAllocatedBytes(thread);
        long cpu = threads.getCurrentThreadCpuTime();
        long seen = 0;
        for (int i = 0; i < streams; i++) {
          seen += readLines(WAYS[way], events, ends);
        }
        cpu = threads.getCurrentThreadCpuTime() - cpu;
        bytes = threads.getThreadAllocatedBytes(thread) - bytes;
        if (expected < 0) {
          expected = seen;
        } else if (seen != expected) {
          throw new IllegalStateException(WAYS[way] + " read " + seen + " chars, not " + expected);
        }
        line.append(
            String.format(
                java.util.Locale.ROOT,
                "  %s %.3f us %.0f B",
                WAYS[way],
                cpu / 1000.0 / streams,
                bytes / (double) streams));
      }
      System.out.println(line);
    }
  }

  /**
   * Reads the stream {@code events}, handed out up to each of {@code ends} per read, by lines, the
   * way {@code way} ({@code plain}, {@code copied} or {@code moved}); returns the characters read.
   */
  static long readLines(String way, byte[] events, int[] ends) throws IOException {
    BufferedSource upstream = Okio.buffer(new EventAtATime(events, ends));
    BufferedSource application =
        switch (way) {
          case "plain" -> upstream;
          case "copied" -> Okio.buffer(new Copied(upstream.inputStream()));
          case "moved" -> Okio.buffer(new Moved(upstream));
          default -> throw new IllegalArgumentException("no such way: " + way);
        };
    long seen = 0;
    for (String line; (line = application.readUtf8Line()) != null; ) {
      seen += line.length();
    }
    application.close();
    return seen;
  }

  /** The stream, one event per read. */
  private static final class EventAtATime implements Source {
    private final byte[] events;
    private final int[] ends;
    private int position;
    private int next;

    EventAtATime(byte[] events, int[] ends) {
      this.events = events;
      this.ends = ends;
    }

    @Override
    public long read(Buffer sink, long byteCount) {
      if (position == events.length) {
        return -1;
      }
      while (ends[next] <= position) {
        next++;
      }
      int n = (int) Math.min(byteCount, ends[next] - position);
      sink.write(events, position, n);
      position += n;
      return n;
    }

    @Override
    public Timeout timeout() {
      return Timeout.NONE;
    }

    @Override
    public void close() {}
  }

  /** Reads the upstream's stream into the free room of the application's buffer. */
  private static final class Copied implements Source {
    private final InputStream upstream;
    private final Buffer.UnsafeCursor cursor = new Buffer.UnsafeCursor();

    Copied(InputStream upstream) {
      this.upstream = upstream;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long size = sink.size();
      try (Buffer.UnsafeCursor room = sink.readAndWriteUnsafe(cursor)) {
        room.expandBuffer(1);
        int n = 0;
        try {
          n =
              upstream.read(
                  room.data, room.start, (int) Math.min(byteCount, room.end - room.start));
          return n;
        } finally {
          room.resizeBuffer(size + Math.max(n, 0));
        }
      }
    }

    @Override
    public Timeout timeout() {
      return Timeout.NONE;
    }

    @Override
    public void close() throws IOException {
      upstream.close();
    }
  }

  /** Moves the upstream's segments to the application's buffer and looks at the new bytes there. */
  private static final class Moved implements Source {
    private final BufferedSource upstream;
    private final Buffer.UnsafeCursor cursor = new Buffer.UnsafeCursor();

    /** Reads the first new byte of every read, so that finding them is not optimised away. */
    private long looked;

    Moved(BufferedSource upstream) {
      this.upstream = upstream;
    }

    @Override
    public long read(Buffer sink, long byteCount) throws IOException {
      long size = sink.size();
      long n = upstream.read(sink, byteCount);
      if (n > 0) {
        try (Buffer.UnsafeCursor at = sink.readAndWriteUnsafe(cursor)) {
          at.seek(size);
          looked += at.data[at.start];
        }
      }
      return n;
    }

    @Override
    public Timeout timeout() {
      return Timeout.NONE;
    }

    @Override
    public void close() throws IOException {
      upstream.close();
    }
  }
}
