package dev.aigateway.core.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The default {@link VectorStore}: vectors in this JVM's memory, exact search for small partitions
 * and an HNSW graph (Lucene's) for large ones.
 *
 * <pre>{@code
 * VectorStore store = InMemoryVectorStore.builder()
 *     .timeToLive(Duration.ofMinutes(30))
 *     .maximumEntries(50_000)
 *     .build();
 * store.add("tenant-a|gpt-4o-mini", "entry-1", unitVector, "What is our refund policy?");
 * List<VectorMatch> best = store.nearest("tenant-a|gpt-4o-mini", queryVector, 3, 0.92);
 * }</pre>
 *
 * <p><b>Layout.</b> Each partition keeps its vectors in one contiguous {@code float[]} (slot {@code
 * i} at {@code i * dimension}), so an exact search is a linear pass over memory with a dot product
 * unrolled over eight accumulators. Removed and replaced entries become tombstones until a rebuild
 * compacts the partition (once they are a third of its slots).
 *
 * <p><b>Approximate search.</b> A partition with more than {@link Builder#approximateAbove} live
 * entries is also indexed by an HNSW graph (Lucene's {@code HnswGraphBuilder}, M = 16, beam width
 * 100) over the same arrays; its first build runs in the background (on the {@linkplain
 * Builder#executor executor}), later entries are linked in as they are added. A graph search visits
 * a few thousand vectors instead of all of them; every candidate it returns is re-scored exactly,
 * so a score is never approximate, only the set of matches may miss one. Below the threshold a full
 * scan is faster than the graph, and exact. See docs/vector-store.md for the measurements behind
 * {@link #DEFAULT_APPROXIMATE_ABOVE} and the recall.
 *
 * <p><b>Expiry and size.</b> Entries expire {@link Builder#timeToLive} after they were written (on
 * the builder's {@link Builder#clock clock}); an expired entry is never returned and is dropped by
 * a sweep that runs on later calls. Past {@link Builder#maximumEntries} entries or {@link
 * Builder#maximumBytes} bytes (each entry's vector, id and text, {@linkplain #bytes counted from
 * above}), the oldest entries, over all partitions, are evicted first; an entry larger than the
 * byte bound on its own is evicted as soon as it is added.
 *
 * <p><b>Threads.</b> Searches of a partition run concurrently under its read lock; adds and removes
 * take its write lock (an add to an indexed partition links the entry into the graph there: about 1
 * ms at 100,000 entries).
 */
public final class InMemoryVectorStore implements VectorStore {

  /** How long an entry lives by default. */
  public static final Duration DEFAULT_TIME_TO_LIVE = Duration.ofHours(1);

  /** How many entries the store holds by default, over all partitions. */
  public static final long DEFAULT_MAXIMUM_ENTRIES = 100_000;

  /**
   * How many bytes the store's entries hold by default, over all partitions ({@link #bytes}): 256
   * MiB, a little above what {@link #DEFAULT_MAXIMUM_ENTRIES} entries of 384-dimension vectors with
   * prompts of 300 characters hold (about 250 MB), so it binds only where prompts are longer.
   */
  public static final long DEFAULT_MAXIMUM_BYTES = 256L << 20;

  /**
   * Live entries of a partition above which it is searched through an HNSW graph by default.
   * Measured with 384-dimension vectors, the graph overtakes the scan at about 2,000 entries (0.16
   * against 0.19 ms); at 5,000 it is twice as fast (0.25 against 0.53 ms), and below that an exact
   * scan stays well inside a millisecond, so exactness costs little.
   */
  public static final int DEFAULT_APPROXIMATE_ABOVE = 5_000;

  /**
   * Candidates a graph search keeps (HNSW's {@code ef}) by default. Measured at 100,000 clustered
   * 384-dimension vectors: all of the true best 3 found, 0.5 ms median.
   */
  public static final int DEFAULT_SEARCH_BEAM_WIDTH = 50;

  /**
   * Graph nodes one search may read by default, a bound on its latency: each read of a
   * 384-dimension vector in graph order costs about 0.4 us (memory latency), so 1,500 reads stay
   * well under a millisecond. Searches among clustered vectors (what prompt embeddings look like)
   * read about 650 nodes at 100,000 entries and never reach it; searches among vectors with no
   * structure (uniformly random) would read about 2,000 and stop at the bound, returning the best
   * found so far, still scored exactly.
   */
  public static final int DEFAULT_SEARCH_VISIT_LIMIT = 1_500;

  /** The longest time to live a long of nanoseconds holds (about 292 years). */
  private final Ticker ticker;

  private final long timeToLiveNanos;
  private final long maximumEntries;
  private final long maximumBytes;
  private final VectorStoreSettings settings;
  private final ConcurrentHashMap<String, VectorPartition> partitions = new ConcurrentHashMap<>();

  /** Every write in the order it happened: oldest at the head, for expiry and eviction. */
  private final ConcurrentLinkedQueue<Written> writes = new ConcurrentLinkedQueue<>();

  private final ReentrantLock sweepLock = new ReentrantLock();
  private final AtomicLong size = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong sequence = new AtomicLong();

  /** Writes in {@link #writes} whose entry was replaced or removed since. */
  private final AtomicLong staleWrites = new AtomicLong();

  private InMemoryVectorStore(Builder builder) {
    this.ticker = builder.ticker;
    // saturated: a time to live of centuries and more (ChronoUnit.FOREVER's) never expires
    this.timeToLiveNanos = TimeUnit.NANOSECONDS.convert(builder.timeToLive);
    this.maximumEntries = builder.maximumEntries;
    this.maximumBytes = builder.maximumBytes;
    this.settings =
        new VectorStoreSettings(
            timeToLiveNanos,
            builder.approximateAbove,
            builder.searchBeamWidth,
            builder.searchVisitLimit,
            builder.executor);
  }

  /** A builder with the documented defaults. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public void add(String partition, String id, float[] vector, String text) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
    checkVector(vector);
    long now = ticker.read();
    long seq = sequence.incrementAndGet();
    while (true) {
      VectorPartition target =
          partitions.computeIfAbsent(partition, name -> new VectorPartition(name, settings));
      VectorPartition.Added added = target.add(id, vector, text, now, seq);
      if (added.partitionDropped()) {
        partitions.remove(partition, target); // emptied meanwhile; add to a fresh one
        continue;
      }
      bytes.addAndGet(VectorPartition.entryBytes(id, text, vector.length) - added.replacedBytes());
      if (added.replacedBytes() == 0) {
        size.incrementAndGet();
      } else {
        staleWrites.incrementAndGet();
      }
      writes.add(new Written(partition, target, id, seq, now));
      break;
    }
    sweep(now, true);
  }

  @Override
  public List<VectorMatch> nearest(String partition, float[] vector, int limit, double minScore) {
    Objects.requireNonNull(partition, "partition");
    checkVector(vector);
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0 but was " + limit);
    }
    long now = ticker.read();
    sweep(now, false);
    VectorPartition target = partitions.get(partition);
    if (target == null || limit == 0) {
      return List.of();
    }
    return target.nearest(vector, limit, minScore, now);
  }

  @Override
  public void remove(String partition, String id) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(id, "id");
    VectorPartition target = partitions.get(partition);
    long removed = target == null ? 0 : target.remove(id);
    if (removed > 0) {
      bytes.addAndGet(-removed);
      size.decrementAndGet();
      staleWrites.incrementAndGet();
      forgetIfDropped(partition, target);
    }
  }

  @Override
  public long size() {
    return size.get();
  }

  /**
   * The memory the live entries hold, as {@link Builder#maximumBytes} bounds it: each entry's
   * vector (four bytes a dimension), two bytes a character of its id and text (an upper bound: a
   * Latin-1 string takes one), and about 200 bytes of bookkeeping. Slots of removed and replaced
   * entries keep their vectors (not their texts) until their partition is compacted, once they are
   * a third of its slots, so the vectors may take up to half as much again.
   */
  public long bytes() {
    return bytes.get();
  }

  /** How many partitions hold entries (for monitoring and tests). */
  public int partitionCount() {
    return partitions.size();
  }

  /** The partition's entries, or null (for tests). */
  @Nullable VectorPartition partition(String name) {
    return partitions.get(name);
  }

  private static void checkVector(float[] vector) {
    Objects.requireNonNull(vector, "vector");
    if (vector.length == 0) {
      throw new IllegalArgumentException("vector must have at least one dimension");
    }
    // A NaN or infinite component makes every score with the vector NaN or infinite: an entry so
    // would outrank every real match (or pass any minScore), a query so would match anything.
    for (int i = 0; i < vector.length; i++) {
      if (!Float.isFinite(vector[i])) {
        throw new IllegalArgumentException(
            "vector component " + i + " is " + vector[i] + "; vectors must be finite");
      }
    }
  }

  private void forgetIfDropped(String name, VectorPartition partition) {
    if (partition.isDropped()) {
      partitions.remove(name, partition);
    }
  }

  /**
   * Evicts the oldest entries past the size and byte bounds, drops expired ones, and forgets writes
   * that were superseded once they outnumber the entries. Writers wait for a running sweep;
   * searches skip it.
   */
  private void sweep(long now, boolean wait) {
    Written oldest = writes.peek();
    boolean due =
        size.get() > maximumEntries
            || bytes.get() > maximumBytes
            || (oldest != null && now - oldest.writtenAt >= timeToLiveNanos)
            || staleWrites.get() > Math.max(size.get(), 1_024);
    if (!due) {
      return;
    }
    if (wait) {
      sweepLock.lock();
    } else if (!sweepLock.tryLock()) {
      return;
    }
    try {
      while (size.get() > maximumEntries || bytes.get() > maximumBytes) {
        Written written = writes.poll();
        if (written == null) {
          break;
        }
        forget(written);
      }
      Written head;
      while ((head = writes.peek()) != null && now - head.writtenAt >= timeToLiveNanos) {
        forget(writes.poll());
      }
      if (staleWrites.get() > Math.max(size.get(), 1_024)) {
        for (Iterator<Written> it = writes.iterator(); it.hasNext(); ) {
          Written written = it.next();
          if (!written.partition.isCurrent(written.id, written.sequence)) {
            it.remove();
            staleWrites.decrementAndGet();
          }
        }
      }
    } finally {
      sweepLock.unlock();
    }
  }

  /** Removes a write's entry if it is still current; accounts a superseded write otherwise. */
  private void forget(Written written) {
    long removed = written.partition.removeIfCurrent(written.id, written.sequence);
    if (removed > 0) {
      bytes.addAndGet(-removed);
      size.decrementAndGet();
      forgetIfDropped(written.name, written.partition);
    } else {
      staleWrites.decrementAndGet();
    }
  }

  /** One add, remembered in write order. */
  private record Written(
      String name, VectorPartition partition, String id, long sequence, long writtenAt) {}

  /**
   * Configures an {@link InMemoryVectorStore}; each setting is checked when it is set.
   *
   * <p>Defaults: time to live {@link #DEFAULT_TIME_TO_LIVE}, at most {@link
   * #DEFAULT_MAXIMUM_ENTRIES} entries holding at most {@link #DEFAULT_MAXIMUM_BYTES} bytes, the
   * system ticker, HNSW above {@link #DEFAULT_APPROXIMATE_ABOVE} entries per partition with a
   * search beam of {@link #DEFAULT_SEARCH_BEAM_WIDTH} and at most {@link
   * #DEFAULT_SEARCH_VISIT_LIMIT} nodes read, and graph builds on a new daemon thread each.
   */
  public static final class Builder {
    private Duration timeToLive = DEFAULT_TIME_TO_LIVE;
    private long maximumEntries = DEFAULT_MAXIMUM_ENTRIES;
    private long maximumBytes = DEFAULT_MAXIMUM_BYTES;
    private Ticker ticker = Ticker.systemTicker();
    private int approximateAbove = DEFAULT_APPROXIMATE_ABOVE;
    private int searchBeamWidth = DEFAULT_SEARCH_BEAM_WIDTH;
    private int searchVisitLimit = DEFAULT_SEARCH_VISIT_LIMIT;
    private Executor executor = Builder::onNewThread;

    private Builder() {}

    /**
     * How long after it was written an entry expires; positive. One of {@code Long.MAX_VALUE}
     * nanoseconds (about 292 years) or longer, such as {@code ChronoUnit.FOREVER}'s, never expires.
     */
    public Builder timeToLive(Duration timeToLive) {
      Objects.requireNonNull(timeToLive, "timeToLive");
      if (timeToLive.isNegative() || timeToLive.isZero()) {
        throw new IllegalArgumentException("timeToLive must be positive but was " + timeToLive);
      }
      this.timeToLive = timeToLive;
      return this;
    }

    /** How many entries the store holds over all partitions; the oldest go first beyond it. */
    public Builder maximumEntries(long maximumEntries) {
      if (maximumEntries < 1) {
        throw new IllegalArgumentException(
            "maximumEntries must be at least 1 but was " + maximumEntries);
      }
      this.maximumEntries = maximumEntries;
      return this;
    }

    /**
     * How many bytes the entries may hold over all partitions, {@linkplain
     * InMemoryVectorStore#bytes() counted} from their vectors, ids and texts; the oldest go first
     * beyond it. Bounds the memory a few very long prompts can hold when the semantic cache stores
     * truncated prompts.
     */
    public Builder maximumBytes(long maximumBytes) {
      if (maximumBytes < 1) {
        throw new IllegalArgumentException(
            "maximumBytes must be at least 1 but was " + maximumBytes);
      }
      this.maximumBytes = maximumBytes;
      return this;
    }

    /**
     * The time expiry is measured on (default: the JVM's monotonic {@link System#nanoTime()});
     * inject a clock in tests, for example the gateway's.
     */
    public Builder clock(InstantSource clock) {
      this.ticker = ClockTicker.of(Objects.requireNonNull(clock, "clock"));
      return this;
    }

    /**
     * Live entries a partition must exceed to be searched through an HNSW graph; at or below it a
     * partition is scanned exactly. {@code Integer.MAX_VALUE} keeps every search exact.
     */
    public Builder approximateAbove(int entriesPerPartition) {
      if (entriesPerPartition < 0) {
        throw new IllegalArgumentException(
            "approximateAbove must be >= 0 but was " + entriesPerPartition);
      }
      this.approximateAbove = entriesPerPartition;
      return this;
    }

    /**
     * Candidates a graph search keeps before the best are re-scored ({@code ef} in HNSW terms; at
     * least the search's limit is used): higher finds more of the true nearest, slower.
     */
    public Builder searchBeamWidth(int searchBeamWidth) {
      if (searchBeamWidth < 1) {
        throw new IllegalArgumentException(
            "searchBeamWidth must be at least 1 but was " + searchBeamWidth);
      }
      this.searchBeamWidth = searchBeamWidth;
      return this;
    }

    /**
     * The most graph nodes one search reads before it returns the best found so far (a bound on its
     * latency); {@code Integer.MAX_VALUE} for no bound.
     */
    public Builder searchVisitLimit(int nodes) {
      if (nodes < 1) {
        throw new IllegalArgumentException("searchVisitLimit must be at least 1 but was " + nodes);
      }
      this.searchVisitLimit = nodes;
      return this;
    }

    /**
     * Where partitions are rebuilt in the background: a graph's first build and compactions. By
     * default each rebuild runs on a new daemon thread (they are rare and long); pass {@code
     * Runnable::run} to rebuild on the writing thread, before its add returns.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** A store with these settings. */
    public InMemoryVectorStore build() {
      return new InMemoryVectorStore(this);
    }

    private static void onNewThread(Runnable task) {
      Thread thread = new Thread(task, "ai-gateway-vector-index");
      thread.setDaemon(true);
      thread.start();
    }
  }
}
