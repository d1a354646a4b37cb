package dev.aigateway.core.cache;

import dev.aigateway.api.spi.VectorMatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.lucene.search.KnnCollector;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.HnswGraphSearcher;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entries of one partition of an {@link InMemoryVectorStore}.
 *
 * <p>Layout: entry {@code slot} keeps its vector at {@code slot * dimension} of one contiguous
 * {@code float[]}, and its id, text, write time and sequence at {@code slot} of parallel arrays.
 * Slots are append-only: a replaced or removed entry becomes a tombstone (a bit in {@link #dead}),
 * so a slot's vector never changes once written. That is what lets a rebuild read vectors without
 * holding the lock, and lets slots double as the ordinals of the HNSW graph. Tombstones are dropped
 * by a rebuild once they are a third of the slots.
 *
 * <p>Search: slots {@code [0, graph.indexed)} through the graph when there is one, the rest by an
 * exact scan; every candidate is re-scored exactly. Without a graph everything is scanned.
 *
 * <p>Locking: searches share the read lock; adds, removes and graph insertions take the write lock.
 * A rebuild (compaction, and the graph's first build) copies and indexes the surviving vectors off
 * the lock on the store's executor, then installs the result under the write lock, carrying over
 * whatever changed meanwhile.
 */
final class VectorPartition {

  private static final Logger LOG = LoggerFactory.getLogger(VectorPartition.class);

  /** HNSW fan-out: M links per node on upper levels, 2M on the bottom one (Lucene's default). */
  static final int MAX_CONNECTIONS = 16;

  /** HNSW beam width while inserting (Lucene's default). */
  static final int BUILD_BEAM_WIDTH = 100;

  /** Fixed, so that graphs are reproducible for a given order of insertion. */
  private static final long GRAPH_SEED = 42;

  /** Tombstones below this many are never worth a rebuild. */
  static final int MIN_TOMBSTONES_FOR_REBUILD = 64;

  /** A rebuild catches up off the lock until fewer than this many entries arrived meanwhile. */
  private static final int CATCH_UP_UNDER_LOCK = 32;

  /** ... or after this many rounds, when writers keep up with it. */
  private static final int MAX_CATCH_UP_ROUNDS = 8;

  private static final int INITIAL_SLOTS = 16;

  /**
   * Bytes an entry holds besides its vector's floats and its strings' characters: the two strings'
   * headers and arrays, its slot in the four per-slot arrays, its entry in the id map, and the
   * store's record of the write with its queue node.
   */
  static final long ENTRY_OVERHEAD_BYTES = 200;

  /**
   * What {@link #add} did: whether the partition was dropped (emptied) meanwhile, so nothing was
   * added, and the {@linkplain #entryBytes bytes} of the entry it replaced (0 when the id was new).
   */
  record Added(boolean partitionDropped, long replacedBytes) {
    static final Added NEW = new Added(false, 0);
    static final Added PARTITION_DROPPED = new Added(true, 0);
  }

  /**
   * The memory an entry holds, counted from above: its vector's floats, two bytes a character of
   * its id and text (a Latin-1 string takes one), and {@link #ENTRY_OVERHEAD_BYTES}.
   */
  static long entryBytes(String id, String text, int dimension) {
    return 4L * dimension + 2L * id.length() + 2L * text.length() + ENTRY_OVERHEAD_BYTES;
  }

  private final String name;
  private final VectorStoreSettings settings;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

  // Guarded by lock.
  private int dimension = -1;
  private Slab slab;
  private String[] ids = new String[INITIAL_SLOTS];
  private String[] texts = new String[INITIAL_SLOTS];
  private long[] writtenAt = new long[INITIAL_SLOTS];
  private long[] sequences = new long[INITIAL_SLOTS];
  private BitSet dead = new BitSet();
  private final Map<String, Integer> slotById = new HashMap<>();
  private int count;
  private int live;
  private Graph graph;
  private boolean rebuilding;
  private boolean dropped;

  VectorPartition(String name, VectorStoreSettings settings) {
    this.name = name;
    this.settings = settings;
  }

  /**
   * Adds or replaces an entry; {@link Added#PARTITION_DROPPED} when this partition was dropped
   * (emptied) meanwhile and the caller must add to a fresh one.
   */
  Added add(String id, float[] vector, String text, long now, long sequence) {
    boolean rebuild;
    Added added;
    lock.writeLock().lock();
    try {
      if (dropped) {
        return Added.PARTITION_DROPPED;
      }
      if (dimension < 0) {
        dimension = vector.length;
        slab = new Slab(dimension, INITIAL_SLOTS);
      } else {
        checkDimension(vector);
      }
      Integer previous = slotById.get(id);
      long replacedBytes = 0;
      if (previous != null) {
        replacedBytes = entryBytes(id, texts[previous], dimension);
        kill(previous);
      }
      int slot = append(slab, vector, 0);
      ids[slot] = id;
      texts[slot] = text;
      writtenAt[slot] = now;
      sequences[slot] = sequence;
      slotById.put(id, slot);
      live++;
      if (graph != null) {
        graph.insert(slot);
      }
      added = previous == null ? Added.NEW : new Added(false, replacedBytes);
      rebuild = claimRebuildIfDue();
    } finally {
      lock.writeLock().unlock();
    }
    if (rebuild) {
      startRebuild();
    }
    return added;
  }

  /**
   * Removes the entry with this id; the {@linkplain #entryBytes bytes} it held, 0 when there was
   * none.
   */
  long remove(String id) {
    return removeIf(id, -1);
  }

  /**
   * Removes the entry with this id only if it is still the one written with {@code sequence}; the
   * {@linkplain #entryBytes bytes} it held, 0 when it was not removed.
   */
  long removeIfCurrent(String id, long sequence) {
    return removeIf(id, sequence);
  }

  private long removeIf(String id, long sequence) {
    boolean rebuild;
    long bytes;
    lock.writeLock().lock();
    try {
      Integer slot = slotById.get(id);
      if (slot == null || (sequence >= 0 && sequences[slot] != sequence)) {
        return 0;
      }
      bytes = entryBytes(id, texts[slot], dimension);
      slotById.remove(id);
      kill(slot);
      if (live == 0) {
        dropped = true; // the store forgets it; a later add creates a fresh partition
        return bytes;
      }
      rebuild = claimRebuildIfDue();
    } finally {
      lock.writeLock().unlock();
    }
    if (rebuild) {
      startRebuild();
    }
    return bytes;
  }

  /** Whether the entry with this id is still the one written with {@code sequence}. */
  boolean isCurrent(String id, long sequence) {
    lock.readLock().lock();
    try {
      Integer slot = slotById.get(id);
      return slot != null && sequences[slot] == sequence;
    } finally {
      lock.readLock().unlock();
    }
  }

  boolean isDropped() {
    lock.readLock().lock();
    try {
      return dropped;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** How many slots the graph covers; 0 without a graph (for tests). */
  int indexedSlots() {
    lock.readLock().lock();
    try {
      return graph == null ? 0 : graph.indexed;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Slots in use, tombstones included (for tests). */
  int slots() {
    lock.readLock().lock();
    try {
      return count;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The partition's best matches; see {@link InMemoryVectorStore#nearest}. */
  List<VectorMatch> nearest(float[] query, int limit, double minScore, long now) {
    lock.readLock().lock();
    try {
      if (live == 0) {
        return List.of();
      }
      checkDimension(query);
      float[] data = slab.data;
      Accepted accepted = new Accepted(now);
      TopMatches top = new TopMatches(Math.min(limit, live), minScore);
      int scanFrom = 0;
      if (graph != null && graph.indexed > 0) {
        int beamWidth = Math.max(limit, settings.searchBeamWidth());
        for (ScoreDoc candidate :
            graph.search(query, data, beamWidth, settings.searchVisitLimit(), accepted)) {
          int slot = candidate.doc;
          // The graph only ranks; the score reported is always computed here, exactly.
          top.offer(slot, VectorMath.dot(query, 0, data, slot * dimension, dimension));
        }
        scanFrom = graph.indexed;
      }
      float bar = top.bar();
      for (int slot = scanFrom; slot < count; slot++) {
        float score = VectorMath.dot(query, 0, data, slot * dimension, dimension);
        if (score >= bar && accepted.get(slot)) {
          top.offer(slot, score);
          bar = top.bar();
        }
      }
      return top.matches(ids, texts);
    } finally {
      lock.readLock().unlock();
    }
  }

  // ------------------------------------------------------------------ mutation under the lock

  private void checkDimension(float[] vector) {
    if (vector.length != dimension) {
      throw new IllegalArgumentException(
          "vector has "
              + vector.length
              + " dimensions but partition '"
              + name
              + "' holds vectors of "
              + dimension);
    }
  }

  private void kill(int slot) {
    dead.set(slot);
    texts[slot] = null; // a dead slot's text is never read again: its memory goes now
    live--;
  }

  /** Appends a vector (from {@code source} at {@code offset}) and returns its slot. */
  private int append(Slab target, float[] source, int offset) {
    int slot = count;
    if (slot == ids.length) {
      int grown = ids.length * 2;
      ids = Arrays.copyOf(ids, grown);
      texts = Arrays.copyOf(texts, grown);
      writtenAt = Arrays.copyOf(writtenAt, grown);
      sequences = Arrays.copyOf(sequences, grown);
    }
    target.put(slot, source, offset);
    count++;
    return slot;
  }

  /** Marks a rebuild as started when one is due; the caller starts it after unlocking. */
  private boolean claimRebuildIfDue() {
    if (rebuilding || dropped) {
      return false;
    }
    int tombstones = count - live;
    boolean compact = tombstones >= MIN_TOMBSTONES_FOR_REBUILD && tombstones > live / 2;
    boolean index = graph == null && live > settings.approximateAbove();
    rebuilding = compact || index;
    return rebuilding;
  }

  private void startRebuild() {
    try {
      settings.executor().execute(this::rebuild);
    } catch (RejectedExecutionException e) {
      LOG.warn(
          "vector partition '{}': rebuild not started ({}); searching it exactly",
          name,
          e.toString());
      lock.writeLock().lock();
      try {
        rebuilding = false;
      } finally {
        lock.writeLock().unlock();
      }
    }
  }

  // ------------------------------------------------------------------ rebuild

  /**
   * Copies the live entries into fresh arrays (and, when the partition is large enough, indexes
   * them into a new graph) without holding the lock, then installs the result under the write lock.
   * Slots are append-only, so everything below a snapshot's count stays as it was except for new
   * tombstones, which the install carries over.
   */
  private void rebuild() {
    try {
      Rebuild next = new Rebuild();
      for (int round = 1; ; round++) {
        float[] source;
        int upTo;
        BitSet deadNow;
        lock.readLock().lock();
        try {
          if (dropped) {
            return;
          }
          if (next.target == null) {
            next.start(dimension, live > settings.approximateAbove());
          }
          source = slab.data;
          upTo = count;
          deadNow = (BitSet) dead.clone();
        } finally {
          lock.readLock().unlock();
        }
        boolean lastRound =
            upTo - next.copiedUpTo < CATCH_UP_UNDER_LOCK || round == MAX_CATCH_UP_ROUNDS;
        next.copy(source, upTo, deadNow);
        if (lastRound) {
          break;
        }
      }
      boolean again;
      lock.writeLock().lock();
      try {
        if (!dropped) {
          install(next);
        }
        // What changed while this rebuild ran may call for another (the partition outgrew the
        // exact scan, or tombstones piled up); without this check it would wait for the next
        // write, which may never come.
        again = claimRebuildIfDue();
      } finally {
        lock.writeLock().unlock();
      }
      if (again) {
        startRebuild();
      }
    } catch (RuntimeException | Error e) {
      LOG.warn("vector partition '{}': rebuild failed; searching it as it was", name, e);
      lock.writeLock().lock();
      try {
        rebuilding = false;
      } finally {
        lock.writeLock().unlock();
      }
      throw e;
    }
  }

  /** Under the write lock: takes over the rebuilt arrays and graph. */
  private void install(Rebuild rebuilt) {
    rebuilt.copy(slab.data, count, dead); // the few that arrived since the last round
    int newCount = rebuilt.count;
    int capacity = Math.max(INITIAL_SLOTS, Integer.highestOneBit(Math.max(1, newCount)) * 2);
    String[] newIds = new String[capacity];
    String[] newTexts = new String[capacity];
    long[] newWrittenAt = new long[capacity];
    long[] newSequences = new long[capacity];
    BitSet newDead = new BitSet();
    slotById.clear();
    for (int old = 0; old < count; old++) {
      int slot = rebuilt.slotOf[old];
      if (slot < 0) {
        continue;
      }
      newIds[slot] = ids[old];
      newTexts[slot] = texts[old];
      newWrittenAt[slot] = writtenAt[old];
      newSequences[slot] = sequences[old];
      if (dead.get(old)) {
        newDead.set(slot); // removed while the rebuild ran
      } else {
        slotById.put(ids[old], slot);
      }
    }
    ids = newIds;
    texts = newTexts;
    writtenAt = newWrittenAt;
    sequences = newSequences;
    dead = newDead;
    count = newCount;
    slab = rebuilt.target;
    graph = rebuilt.graph;
    rebuilding = false;
  }

  /** The state of one rebuild, owned by the rebuilding thread until it is installed. */
  private final class Rebuild {
    Slab target;
    Graph graph;
    int[] slotOf = new int[INITIAL_SLOTS];
    int copiedUpTo;
    int count;

    void start(int dimension, boolean withGraph) {
      target = new Slab(dimension, INITIAL_SLOTS);
      graph = withGraph ? new Graph(target) : null;
    }

    /** Copies the slots {@code [copiedUpTo, upTo)} that are not dead, indexing each. */
    void copy(float[] source, int upTo, BitSet deadNow) {
      if (slotOf.length < upTo) {
        slotOf = Arrays.copyOf(slotOf, Math.max(upTo, slotOf.length * 2));
      }
      for (int old = copiedUpTo; old < upTo; old++) {
        if (deadNow.get(old)) {
          slotOf[old] = -1;
          continue;
        }
        int slot = count++;
        target.put(slot, source, old * target.dimension);
        slotOf[old] = slot;
        if (graph != null) {
          graph.insert(slot);
        }
      }
      copiedUpTo = upTo;
    }
  }

  // ------------------------------------------------------------------ building blocks

  /** Vectors in one contiguous array, grown by doubling. */
  static final class Slab {
    final int dimension;
    float[] data;

    Slab(int dimension, int slots) {
      this.dimension = dimension;
      this.data = new float[dimension * slots];
    }

    void put(int slot, float[] source, int offset) {
      int at = slot * dimension;
      if (at + dimension > data.length) {
        long grown = Math.max((long) data.length * 2, (long) at + dimension);
        if (grown > Integer.MAX_VALUE - 8) {
          throw new IllegalStateException(
              "a partition holds at most "
                  + (Integer.MAX_VALUE - 8) / dimension
                  + " vectors of "
                  + dimension
                  + " dimensions");
        }
        data = Arrays.copyOf(data, (int) grown);
      }
      System.arraycopy(source, offset, data, at, dimension);
    }
  }

  /** An HNSW graph over a slab's slots {@code [0, indexed)}. */
  private static final class Graph {
    final HnswGraphBuilder builder;
    final OnHeapHnswGraph hnsw;
    int indexed;

    Graph(Slab slab) {
      try {
        builder =
            HnswGraphBuilder.create(
                new SlabScorers(slab), MAX_CONNECTIONS, BUILD_BEAM_WIDTH, GRAPH_SEED);
      } catch (IOException e) {
        throw new UncheckedIOException(e); // nothing here does I/O
      }
      hnsw = builder.getGraph();
    }

    /** The best {@code beamWidth} accepted slots the graph finds, scored by {@link SlabScorer}. */
    ScoreDoc[] search(float[] query, float[] data, int beamWidth, int visitLimit, Bits accepted) {
      try {
        // This overload reads the graph without its shared cursor: safe for concurrent readers.
        KnnCollector found =
            HnswGraphSearcher.search(
                new SlabScorer(query, 0, data, query.length),
                beamWidth,
                hnsw,
                accepted,
                visitLimit);
        return found.topDocs().scoreDocs;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Links the next slot into the graph; slots are indexed in order. */
    void insert(int slot) {
      assert slot == indexed : "slot " + slot + " but indexed " + indexed;
      try {
        builder.addGraphNode(slot);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      indexed = slot + 1;
    }
  }

  /** Scores against slab slots; the builder asks for one per node it links. */
  private static final class SlabScorers implements RandomVectorScorerSupplier {
    private final Slab slab;

    SlabScorers(Slab slab) {
      this.slab = slab;
    }

    @Override
    public RandomVectorScorer scorer(int ord) {
      float[] data = slab.data; // read under the same lock (or thread) that grows it
      return new SlabScorer(data, ord * slab.dimension, data, slab.dimension);
    }

    @Override
    public RandomVectorScorerSupplier copy() {
      return new SlabScorers(slab);
    }
  }

  /**
   * Lucene's similarity for unit vectors, {@code (1 + dot) / 2}: non-negative, as the graph code
   * expects, and ordered like the dot product.
   */
  private static final class SlabScorer implements RandomVectorScorer {
    private final float[] query;
    private final int queryOffset;
    private final float[] data;
    private final int dimension;

    SlabScorer(float[] query, int queryOffset, float[] data, int dimension) {
      this.query = query;
      this.queryOffset = queryOffset;
      this.data = data;
      this.dimension = dimension;
    }

    @Override
    public float score(int node) {
      float dot = VectorMath.dot(query, queryOffset, data, node * dimension, dimension);
      return Math.max((1 + dot) / 2, 0);
    }

    @Override
    public int maxOrd() {
      return data.length / dimension;
    }
  }

  /** Slots a search may return: not removed or replaced, and not expired. */
  private final class Accepted implements Bits {
    private final long now;
    private final long timeToLive = settings.timeToLiveNanos();

    Accepted(long now) {
      this.now = now;
    }

    @Override
    public boolean get(int slot) {
      return !dead.get(slot) && now - writtenAt[slot] < timeToLive;
    }

    @Override
    public int length() {
      return count;
    }
  }

  /** The best {@code k} (slot, score) pairs seen, as a min-heap on score. */
  private static final class TopMatches {
    private final int capacity;
    private final double minScore;
    private final float[] scores;
    private final int[] slots;
    private int size;

    TopMatches(int capacity, double minScore) {
      this.capacity = capacity;
      this.minScore = minScore;
      this.scores = new float[capacity];
      this.slots = new int[capacity];
    }

    /** A score below this cannot enter (may let a few through that {@link #offer} refuses). */
    float bar() {
      float floor = Math.nextDown((float) minScore);
      return size < capacity ? floor : Math.max(floor, scores[0]);
    }

    void offer(int slot, float score) {
      if (!(score >= minScore) || capacity == 0) { // NaN is no score of at least minScore
        return;
      }
      if (size < capacity) {
        int at = size++;
        while (at > 0) { // sift up
          int parent = (at - 1) >>> 1;
          if (scores[parent] <= score) {
            break;
          }
          scores[at] = scores[parent];
          slots[at] = slots[parent];
          at = parent;
        }
        scores[at] = score;
        slots[at] = slot;
      } else if (score > scores[0]) {
        int at = 0;
        while (true) { // sift down from the root
          int child = 2 * at + 1;
          if (child >= size) {
            break;
          }
          if (child + 1 < size && scores[child + 1] < scores[child]) {
            child++;
          }
          if (scores[child] >= score) {
            break;
          }
          scores[at] = scores[child];
          slots[at] = slots[child];
          at = child;
        }
        scores[at] = score;
        slots[at] = slot;
      }
    }

    /** Best first. */
    List<VectorMatch> matches(String[] ids, String[] texts) {
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
      List<VectorMatch> matches = new ArrayList<>(size);
      for (int i : order) {
        matches.add(new VectorMatch(ids[slots[i]], scores[i], texts[slots[i]]));
      }
      return matches;
    }
  }
}
