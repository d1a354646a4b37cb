package dev.aigateway.redis;

import dev.aigateway.api.spi.VectorMatch;
import dev.aigateway.api.spi.VectorStore;
import dev.aigateway.core.cache.InMemoryVectorStore;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link VectorStore} shared by every instance of an application through Redis, searched in
 * process: the semantic cache of one instance finds the prompts any instance stored.
 *
 * <pre>{@code
 * RedisConnection redis = RedisConnection.builder().uri("redis://cache.internal:6379").build();
 * RedisVectorStore prompts = RedisVectorStore.builder(redis)
 *     .timeToLive(Duration.ofMinutes(30))   // as long as the answers live
 *     .maximumEntries(100_000)
 *     .build();                             // loads what is stored, then follows the changes
 * AiGateway gateway = AiGateway.builder()
 *     .responseCache(ResponseCache.builder()
 *         .store(RedisResponseCacheStore.builder(redis).timeToLive(Duration.ofMinutes(30)).build())
 *         .semantic(SemanticCache.builder(embeddingModel).vectorStore(prompts)))
 *     .build();
 * // when the application stops:
 * prompts.close();
 * redis.close();
 * }</pre>
 *
 * <p><b>How it is shared.</b> Redis holds every entry (its partition, id, text, vector and expiry,
 * as one hash per entry with a {@code PEXPIRE} of the time to live), an index of the entries by
 * write order, a write counter, and a stream of changes (an entry added, removed or evicted; capped
 * near {@link Builder#streamLength} with {@code XADD MAXLEN ~}). Each instance keeps a local index
 * of all entries (an {@link InMemoryVectorStore}) and a daemon thread that follows the stream
 * ({@code XREAD BLOCK} on a connection of its own) and applies the changes of other instances,
 * typically a few milliseconds after they were made. {@link #nearest} reads only the local index,
 * so a search costs what it costs in memory; {@link #add} and {@link #remove} run one Lua script in
 * Redis and then change the local index at once.
 *
 * <p><b>Gaps.</b> Every change carries the counter's next value. When the follower sees a number
 * that is not the next one (the stream was trimmed past where it was, Redis restarted and the
 * counter began again), or loses its connection, it reloads: it reads all entries from Redis,
 * applies them, and drops local entries that Redis no longer holds. After Redis lost its data
 * (detected by a random epoch mark stored beside the entries), or went back to an older state (its
 * counter behind the last change the follower applied: restarted from an older snapshot), the local
 * index starts empty; a local entry that is not in the index and whose write number Redis has not
 * given out yet (one Redis lost) is dropped too.
 *
 * <p><b>Expiry and size.</b> Entries expire {@link Builder#timeToLive} after they were written: in
 * Redis on its own clock ({@code PEXPIRE}; the script that adds an entry drops the ones expired by
 * Redis's {@code TIME}), and in each instance on its {@linkplain Builder#clock clock}, checked on
 * every search: the writer counts the time to live from the write, every other instance counts what
 * Redis says is left of it ({@code PTTL}) from when it read the entry. So instances whose clocks
 * disagree, by more than the time to live even, keep an entry as long as Redis does, each within
 * the time a read takes. The store's shared keys (the indexes, the counter, the stream and the
 * epoch mark) live in Redis as long as its newest entry: a store no longer written to leaves
 * nothing behind. Past {@link Builder#maximumEntries} entries the script evicts the oldest writes,
 * over all partitions, and announces the evictions like removals. {@link #size()} reads the count
 * of the shared index.
 *
 * <p><b>Failures.</b> {@link #add}, {@link #remove} and {@link #size} fail with Lettuce's {@code
 * RedisException} when Redis does not answer (the semantic cache then skips storing); {@link
 * #nearest} keeps answering from the local index, which catches up when Redis is back. Thread-safe;
 * {@link #close} stops the follower.
 */
public final class RedisVectorStore implements VectorStore, AutoCloseable {

  /** How long an entry lives by default. */
  public static final Duration DEFAULT_TIME_TO_LIVE = InMemoryVectorStore.DEFAULT_TIME_TO_LIVE;

  /** How many entries the store holds by default, over all partitions. */
  public static final long DEFAULT_MAXIMUM_ENTRIES = InMemoryVectorStore.DEFAULT_MAXIMUM_ENTRIES;

  /**
   * About how many changes the stream keeps by default: a follower that falls further behind (a
   * long pause) reloads instead. A change costs about 100 bytes of Redis memory.
   */
  public static final long DEFAULT_STREAM_LENGTH = 10_000;

  /** The namespace of the store's keys by default. */
  public static final String DEFAULT_NAME = "vectors";

  private static final Logger LOG = LoggerFactory.getLogger(RedisVectorStore.class);

  /** "AGVE": ai-gateway vector entry. */
  private static final int MAGIC = 0x41475645;

  private static final int VERSION = 1;
  private static final Duration BLOCK = Duration.ofSeconds(1);
  private static final int BATCH = 500;
  private static final long SWEEP_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * Lua defining {@code ours(seq, index, log, expiry, epoch)}: each shared key of the store that
   * holds what the store did not write (another type; a write counter that is no integer {@code
   * INCR} can raise) is deleted, for the script to make it anew; with the counter goes the epoch
   * mark, so every instance starts afresh, as after Redis lost its data. Else one such key, an
   * application's or an operator's, would fail every add and remove, and every instance's load, for
   * as long as it stayed.
   */
  private static final String OURS =
      """
      local function typed(key, kind)
        local t = redis.call('TYPE', key)['ok']
        if t ~= kind and t ~= 'none' then
          redis.call('DEL', key)
        end
      end
      local function ours(seq, index, log, expiry, epoch)
        typed(index, 'zset')
        typed(log, 'stream')
        typed(expiry, 'zset')
        typed(epoch, 'string')
        local t = redis.call('TYPE', seq)['ok']
        if t ~= 'none' then
          local s = t == 'string' and redis.call('GET', seq)
          if not (s and string.match(s, '^%d+$') and #s < 19) then
            redis.call('DEL', seq, epoch)
          end
        end
      end
      """;

  private static final LuaScript ADD =
      new LuaScript(
          OURS
              + """
          ours(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6])
          typed(KEYS[5], 'hash')
          local out = {}
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local gone = function(d)
            redis.call('ZREM', KEYS[2], d)
            redis.call('DEL', ARGV[6] .. d)
            local e = redis.call('INCR', KEYS[1])
            redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'o', 'r', 'd', d, 's', e)
            out[#out + 1] = d
            out[#out + 1] = e
          end
          local expired = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf',
            string.format('%.0f', now), 'LIMIT', 0, 100)
          for i = 1, #expired do
            redis.call('ZREM', KEYS[4], expired[i])
            gone(expired[i])
          end
          local s = redis.call('INCR', KEYS[1])
          redis.call('HSET', KEYS[5], 's', s, 'v', ARGV[2])
          redis.call('PEXPIRE', KEYS[5], ARGV[3])
          redis.call('ZADD', KEYS[2], s, ARGV[1])
          redis.call('ZADD', KEYS[4], string.format('%.0f', now + tonumber(ARGV[3])), ARGV[1])
          redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'o', 'a', 'd', ARGV[1], 's', s)
          local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
          if over > 0 then
            local popped = redis.call('ZPOPMIN', KEYS[2], over)
            for i = 1, #popped, 2 do
              redis.call('ZREM', KEYS[4], popped[i])
              gone(popped[i])
            end
          end
          -- the store's shared keys live as long as its newest entry (never shortened: another
          -- instance may keep its entries longer)
          for k = 1, 6 do
            if k ~= 5 and redis.call('PTTL', KEYS[k]) < tonumber(ARGV[3]) then
              redis.call('PEXPIRE', KEYS[k], ARGV[3])
            end
          end
          table.insert(out, 1, s)
          return out
          """,
          ScriptOutputType.MULTI);

  private static final LuaScript REMOVE =
      new LuaScript(
          OURS
              + """
          ours(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6])
          redis.call('ZREM', KEYS[4], ARGV[1])
          redis.call('DEL', KEYS[5])
          if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then
            return 0
          end
          local s = redis.call('INCR', KEYS[1])
          redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'o', 'r', 'd', ARGV[1], 's', s)
          return s
          """,
          ScriptOutputType.INTEGER);

  /** Where the stream ends now, the counter, and the epoch mark (set if missing). */
  private static final LuaScript POSITION =
      new LuaScript(
          OURS
              + """
          ours(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
          redis.call('SET', KEYS[5], ARGV[1], 'NX', 'PX', ARGV[2])
          local epoch = redis.call('GET', KEYS[5])
          local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
          local id = '0-0'
          if #last > 0 then
            id = last[1][1]
          end
          local s = redis.call('GET', KEYS[1]) or '0'
          return {epoch, id, s}
          """,
          ScriptOutputType.MULTI);

  private final RedisConnection redis;
  private final String name;
  private final Duration timeToLive;
  private final long timeToLiveNanos;

  /** The time to live in Redis: {@link #timeToLive}, at most {@link Settings#LONGEST_KEPT}. */
  private final Duration keptInRedis;

  private final long maximumEntries;
  private final long streamLength;
  private final InstantSource clock;
  private final byte[] seqKey;
  private final byte[] indexKey;
  private final byte[] logKey;
  private final byte[] expiryKey;
  private final byte[] epochKey;
  private final String entryPrefix;
  private final byte[][] scriptKeys;

  private volatile Local local;
  private final Thread follower;
  private final CountDownLatch loaded = new CountDownLatch(1);
  private final AtomicLong reloads = new AtomicLong();
  private volatile boolean closed;
  private volatile @Nullable StatefulRedisConnection<byte[], byte[]> followerConnection;

  /** The follower's place in the stream; only the follower thread writes these. */
  private String lastId = "0-0";

  private long appliedSeq;
  private boolean needReload = true;
  private long lastSweep = System.nanoTime();

  private RedisVectorStore(Builder b) {
    this.redis = b.redis;
    this.name = b.name;
    this.timeToLive = b.timeToLive;
    // saturated: a time to live of centuries and more (ChronoUnit.FOREVER's) never expires here
    this.timeToLiveNanos = TimeUnit.NANOSECONDS.convert(b.timeToLive);
    // Redis refuses an expiry near the end of its clock
    this.keptInRedis = Settings.keptInRedis(b.timeToLive);
    this.maximumEntries = b.maximumEntries;
    this.streamLength = b.streamLength;
    this.clock = b.clock;
    String tag = "{" + name + "}";
    this.seqKey = bytes(redis.key(tag, "seq"));
    this.indexKey = bytes(redis.key(tag, "index"));
    this.logKey = bytes(redis.key(tag, "log"));
    this.expiryKey = bytes(redis.key(tag, "expiry"));
    this.epochKey = bytes(redis.key(tag, "epoch"));
    this.entryPrefix = redis.key(tag, "e:");
    this.scriptKeys = new byte[][] {seqKey, indexKey, logKey, expiryKey, null, epochKey};
    this.local = newLocal("");
    this.follower = new Thread(this::follow, "ai-gateway-vectors-" + name);
    follower.setDaemon(true);
  }

  /** A builder over {@code redis}, with the documented defaults. */
  public static Builder builder(RedisConnection redis) {
    return new Builder(redis);
  }

  private Local newLocal(String epoch) {
    InMemoryVectorStore index =
        InMemoryVectorStore.builder()
            .timeToLive(timeToLive)
            .maximumEntries(maximumEntries)
            .clock(clock)
            .build();
    return new Local(epoch, index, new ConcurrentHashMap<>());
  }

  private void start(Duration waitForLoad) {
    follower.start();
    try {
      if (!loaded.await(TimeUnit.NANOSECONDS.convert(waitForLoad), TimeUnit.NANOSECONDS)) {
        LOG.warn(
            "ai-gateway: vector store '{}' could not load its entries from {} yet; it starts"
                + " empty and loads them when Redis answers",
            name,
            redis);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- the SPI

  @Override
  public void add(String partition, String id, float[] vector, String text) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(vector, "vector");
    if (vector.length == 0) {
      throw new IllegalArgumentException("vector must have at least one dimension");
    }
    // Refused before it is written, as the local index refuses it: no instance would index it.
    for (int i = 0; i < vector.length; i++) {
      if (!Float.isFinite(vector[i])) {
        throw new IllegalArgumentException(
            "vector component " + i + " is " + vector[i] + "; vectors must be finite");
      }
    }
    String digest = Digests.of(partition, id);
    long now = nanos(clock.instant());
    // saturated: a time to live of centuries would pass Long.MAX_VALUE epoch nanoseconds
    long expiresAt =
        now > Long.MAX_VALUE - timeToLiveNanos ? Long.MAX_VALUE : now + timeToLiveNanos;
    byte[] payload = encode(partition, id, text, expiresAt, vector);
    List<Object> result =
        ADD.run(
            commands(),
            keys(digest),
            bytes(digest),
            payload,
            LuaScript.arg(redisTtlMillis()),
            LuaScript.arg(maximumEntries),
            LuaScript.arg(streamLength),
            bytes(entryPrefix));
    Local l = local;
    l.applyAdd(digest, (Long) result.get(0), new Entry(partition, id, text, expiresAt, vector));
    for (int i = 1; i + 1 < result.size(); i += 2) {
      l.applyRemove(string((byte[]) result.get(i)), (Long) result.get(i + 1));
    }
  }

  @Override
  public List<VectorMatch> nearest(String partition, float[] vector, int limit, double minScore) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(vector, "vector");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0 but was " + limit);
    }
    Local l = local;
    long now = nanos(clock.instant());
    while (true) {
      List<VectorMatch> matches = l.index.nearest(partition, vector, limit, minScore);
      List<VectorMatch> live = new ArrayList<>(matches.size());
      for (VectorMatch match : matches) {
        String digest = Digests.of(partition, match.id());
        Version version = l.versions.get(digest);
        if (version != null && version.live() && now < version.expiresAt()) {
          live.add(match);
        } else {
          l.expire(digest, partition, match.id(), now);
        }
      }
      if (live.size() == matches.size()) {
        return live;
      }
    }
  }

  @Override
  public void remove(String partition, String id) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(id, "id");
    String digest = Digests.of(partition, id);
    Long seq = REMOVE.run(commands(), keys(digest), bytes(digest), LuaScript.arg(streamLength));
    Local l = local;
    if (seq == 0) {
      l.forget(digest, partition, id); // not in Redis (expired there): drop what is left here
    } else {
      l.applyRemove(digest, seq);
    }
  }

  /**
   * The longest a {@link #add}, {@link #remove} or {@link #size} (a {@link #nearest} searches the
   * local copy) takes: the connection's command timeout. The response cache therefore calls this
   * store on the calling thread, without a hand-off, when its timeout is at least this.
   */
  @Override
  public Duration callTimeout() {
    return redis.commandTimeout();
  }

  /** The number of entries in Redis over all partitions (expired ones may still count). */
  @Override
  public long size() {
    return commands().zcard(indexKey);
  }

  /** How many times this instance reloaded every entry from Redis (the first load included). */
  public long reloads() {
    return reloads.get();
  }

  /** How many entries this instance's local index holds (for monitoring and tests). */
  public long localSize() {
    return local.index.size();
  }

  /** The namespace of the store's Redis keys. */
  public String name() {
    return name;
  }

  /** Stops following the shared changes and closes the follower's connection. Idempotent. */
  @Override
  public void close() {
    closed = true;
    follower.interrupt();
    StatefulRedisConnection<byte[], byte[]> c = followerConnection;
    if (c != null) {
      c.close();
    }
    try {
      follower.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "RedisVectorStore["
        + redis
        + ", name="
        + name
        + ", ttl="
        + timeToLive
        + ", maximumEntries="
        + maximumEntries
        + "]";
  }

  /** How long an entry, and the store's shared keys after each add, live in Redis (ms). */
  private long redisTtlMillis() {
    return Math.max(1, RedisResponseCacheStore.ceilMillis(keptInRedis));
  }

  private RedisCommands<byte[], byte[]> commands() {
    return redis.bytes().sync();
  }

  private byte[][] keys(String digest) {
    byte[][] keys = scriptKeys.clone();
    keys[4] = bytes(entryPrefix + digest);
    return keys;
  }

  // ---------------------------------------------------------------- the follower

  private void follow() {
    long backoffMillis = 50;
    while (!closed) {
      try {
        StatefulRedisConnection<byte[], byte[]> c = followerConnection;
        if (c == null) {
          c = redis.newBytes();
          followerConnection = c;
          if (closed) {
            c.close();
            return;
          }
        }
        RedisCommands<byte[], byte[]> commands = c.sync();
        if (needReload) {
          reload(commands);
          loaded.countDown();
        }
        readChanges(commands);
        sweepIfDue();
        backoffMillis = 50;
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        needReload = true;
        LOG.debug("ai-gateway: vector store '{}' lost track of Redis: {}", name, e.toString());
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException interrupted) {
          return;
        }
        backoffMillis = Math.min(backoffMillis * 2, 1_000);
      }
    }
  }

  private void readChanges(RedisCommands<byte[], byte[]> commands) {
    List<StreamMessage<byte[], byte[]>> messages =
        commands.xread(
            XReadArgs.Builder.block(BLOCK).count(BATCH),
            XReadArgs.StreamOffset.from(logKey, lastId));
    if (messages == null || messages.isEmpty()) {
      return;
    }
    Local l = local;
    List<String> added = new ArrayList<>();
    for (StreamMessage<byte[], byte[]> message : messages) {
      Map<String, String> fields = fields(message.getBody());
      long seq = Long.parseLong(fields.getOrDefault("s", "-1"));
      if (seq != appliedSeq + 1) {
        needReload = true; // trimmed past us, or Redis began again
        break;
      }
      String digest = fields.get("d");
      if ("a".equals(fields.get("o")) && digest != null) {
        added.add(digest);
      } else if (digest != null) {
        applyAdded(l, added); // in stream order
        added.clear();
        l.applyRemove(digest, seq);
      }
      appliedSeq = seq;
      lastId = message.getId();
    }
    applyAdded(l, added);
  }

  /** Reads the entries of added digests (in one round trip) and applies them. */
  private void applyAdded(Local l, List<String> digests) {
    if (digests.isEmpty()) {
      return;
    }
    for (Stored stored : read(digests)) {
      l.applyAdd(stored.digest, stored.seq, stored.entry);
    }
  }

  /**
   * The entries of {@code digests} still in Redis, read with pipelined {@code HMGET}s and {@code
   * PTTL}s. Each expires here when its time to live left in Redis ends, counted on this store's
   * clock from before the read: the expiry instant in the entry is on its writer's clock, which may
   * be minutes (or hours) off this one's.
   */
  private List<Stored> read(List<String> digests) {
    StatefulRedisConnection<byte[], byte[]> c = followerConnection;
    var async = Objects.requireNonNull(c).async();
    long now = nanos(clock.instant());
    List<RedisFuture<List<KeyValue<byte[], byte[]>>>> futures = new ArrayList<>(digests.size());
    List<RedisFuture<Long>> timesToLive = new ArrayList<>(digests.size());
    for (String digest : digests) {
      byte[] key = bytes(entryPrefix + digest);
      futures.add(async.hmget(key, S, V));
      timesToLive.add(async.pttl(key));
    }
    List<RedisFuture<?>> all = new ArrayList<>(futures);
    all.addAll(timesToLive);
    // Every reply, an error of one entry's key included (Lettuce's awaitAll throws at the first
    // error, so one foreign key would fail every load): each is looked at below.
    long deadline = System.nanoTime() + redis.commandTimeout().multipliedBy(4).toNanos();
    for (RedisFuture<?> f : all) {
      try {
        f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (ExecutionException failed) {
        // read per entry below
      } catch (TimeoutException e) {
        throw new IllegalStateException("Redis did not answer in time");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reading vector entries", e);
      }
    }
    List<Stored> stored = new ArrayList<>(digests.size());
    for (int i = 0; i < digests.size(); i++) {
      List<KeyValue<byte[], byte[]>> values;
      try {
        values = futures.get(i).toCompletableFuture().join();
      } catch (CompletionException e) {
        if (!(e.getCause() instanceof RedisCommandExecutionException refused)) {
          throw e;
        }
        // a key of another type (not written by this store) under the entry's name
        LOG.debug("ai-gateway: unreadable vector entry skipped: {}", refused.getMessage());
        continue;
      }
      if (values.size() != 2 || !values.get(0).hasValue() || !values.get(1).hasValue()) {
        continue; // removed or expired since
      }
      try {
        long seq = Long.parseLong(string(values.get(0).getValue()));
        Entry entry = decode(values.get(1).getValue());
        Long left = timesToLive.get(i).toCompletableFuture().join();
        if (left != null && left >= 0) {
          entry = entry.expiringAt(expiresAfter(now, Duration.ofMillis(left)));
        } else if (left != null && left == -2) {
          continue; // expired since
        } // -1: kept in Redis without an expiry; the entry's own instant holds
        stored.add(new Stored(digests.get(i), seq, entry));
      } catch (NumberFormatException | Wire.Malformed e) {
        LOG.debug("ai-gateway: unreadable vector entry skipped: {}", e.toString());
      }
    }
    return stored;
  }

  /** Loads every entry from Redis and drops local entries Redis no longer holds. */
  private void reload(RedisCommands<byte[], byte[]> commands) {
    List<Object> position =
        POSITION.run(
            commands,
            new byte[][] {seqKey, indexKey, logKey, expiryKey, epochKey},
            bytes(UUID.randomUUID().toString()),
            LuaScript.arg(redisTtlMillis()));
    String epoch = string((byte[]) position.get(0));
    String id = string((byte[]) position.get(1));
    long seq = Long.parseLong(string((byte[]) position.get(2)));
    Local l = local;
    if (!epoch.equals(l.epoch)) {
      if (!l.epoch.isEmpty()) {
        LOG.info(
            "ai-gateway: vector store '{}' found Redis emptied (or every entry expired);"
                + " starting afresh",
            name);
      }
      l = newLocal(epoch);
      local = l;
    } else if (seq < appliedSeq) {
      // The counter went back: Redis restarted from an older snapshot (or a replica that lagged
      // took over), and lost the writes made since. Local versions of those writes would outrank
      // the changes that reuse their write numbers.
      LOG.info(
          "ai-gateway: vector store '{}' found Redis holding an older state (write {} after {});"
              + " starting afresh",
          name,
          seq,
          appliedSeq);
      l = newLocal(epoch);
      local = l;
    }
    Set<String> seen = new HashSet<>();
    // Paged by score (each entry's write number), not by rank: evictions and removals made
    // meanwhile move the entries down the ranks, which would skip one at each page's end.
    Range.Boundary<Long> from = Range.Boundary.unbounded();
    while (true) {
      List<ScoredValue<byte[]>> members =
          commands.zrangebyscoreWithScores(
              indexKey, Range.from(from, Range.Boundary.unbounded()), Limit.create(0, BATCH));
      List<String> digests = new ArrayList<>(members.size());
      for (ScoredValue<byte[]> member : members) {
        digests.add(string(member.getValue()));
      }
      seen.addAll(digests);
      for (Stored stored : read(digests)) {
        l.applyAdd(stored.digest, stored.seq, stored.entry);
      }
      if (members.size() < BATCH) {
        break;
      }
      from = Range.Boundary.excluding((long) members.get(members.size() - 1).getScore());
    }
    for (Map.Entry<String, Version> e : l.versions.entrySet()) {
      Version v = e.getValue();
      if (!v.live() || seen.contains(e.getKey())) {
        continue;
      }
      if (v.seq() <= seq) {
        l.applyRemove(e.getKey(), v.seq());
      } else if (commands.zscore(indexKey, bytes(e.getKey())) == null) {
        // A write number Redis has not given out yet: this instance's own add, made while the
        // load ran (then the index holds it), or one Redis lost (restarted from an older
        // snapshot) before the follower saw it. Dropped unless a later change came meanwhile.
        l.drop(e.getKey(), v);
      }
    }
    lastId = id;
    appliedSeq = seq;
    needReload = false;
    reloads.incrementAndGet();
  }

  private void sweepIfDue() {
    long now = System.nanoTime();
    if (now - lastSweep < SWEEP_INTERVAL_NANOS) {
      return;
    }
    lastSweep = now;
    Local l = local;
    long at = nanos(clock.instant());
    for (Map.Entry<String, Version> e : l.versions.entrySet()) {
      Version v = e.getValue();
      if (v.live() && at >= v.expiresAt()) {
        l.expire(e.getKey(), v.partition(), v.id(), at);
      } else if (!v.live() && v.seq() <= appliedSeq) {
        l.versions.remove(e.getKey(), v); // no older change can arrive any more
      }
    }
  }

  private static Map<String, String> fields(Map<byte[], byte[]> body) {
    Map<String, String> fields = new java.util.HashMap<>();
    body.forEach((k, v) -> fields.put(string(k), string(v)));
    return fields;
  }

  // ---------------------------------------------------------------- local state

  /** One entry as stored. */
  record Entry(String partition, String id, String text, long expiresAt, float[] vector) {
    /** The same entry expiring at {@code expiresAt} (epoch nanoseconds). */
    Entry expiringAt(long expiresAt) {
      return new Entry(partition, id, text, expiresAt, vector);
    }
  }

  /** {@code now} plus {@code timeToLive} in epoch nanoseconds, saturated at Long.MAX_VALUE. */
  private static long expiresAfter(long now, Duration timeToLive) {
    long ttl = TimeUnit.NANOSECONDS.convert(timeToLive);
    return now > Long.MAX_VALUE - ttl ? Long.MAX_VALUE : now + ttl;
  }

  private record Stored(String digest, long seq, Entry entry) {}

  /**
   * The latest change this instance applied to an entry: its write number, and whether the entry is
   * there (a removal is kept as a tombstone until no older change can arrive).
   */
  private record Version(long seq, String partition, String id, long expiresAt, boolean live) {}

  /** The local index and the version of each entry, for one epoch of Redis. */
  private record Local(
      String epoch, InMemoryVectorStore index, ConcurrentHashMap<String, Version> versions) {

    /** Applies an add unless a later change of the entry was applied already. */
    void applyAdd(String digest, long seq, Entry e) {
      versions.compute(
          digest,
          (d, old) -> {
            if (old != null && old.seq() == seq && old.live() && e.expiresAt() > old.expiresAt()) {
              // The same write applied twice (the writer's own follower read it first, its
              // expiry from PTTL a moment later): the later expiry is the writer's own.
              return new Version(seq, old.partition(), old.id(), e.expiresAt(), true);
            }
            if (old != null && old.seq() >= seq) {
              return old;
            }
            if (old != null
                && old.live()
                && (!old.partition().equals(e.partition()) || !old.id().equals(e.id()))) {
              index.remove(old.partition(), old.id());
            }
            try {
              index.add(e.partition(), e.id(), e.vector(), e.text());
            } catch (IllegalArgumentException wrongDimension) {
              LOG.debug("ai-gateway: vector entry not indexed: {}", wrongDimension.getMessage());
              return new Version(seq, e.partition(), e.id(), 0, false);
            }
            return new Version(seq, e.partition(), e.id(), e.expiresAt(), true);
          });
    }

    /** Applies a removal unless a later change of the entry was applied already. */
    void applyRemove(String digest, long seq) {
      versions.compute(
          digest,
          (d, old) -> {
            if (old == null) {
              return new Version(seq, "", "", 0, false);
            }
            if (old.seq() > seq) {
              return old;
            }
            if (old.live()) {
              index.remove(old.partition(), old.id());
            }
            return new Version(seq, old.partition(), old.id(), 0, false);
          });
    }

    /** Drops an entry and its version if {@code seen} is still its version (Redis lost it). */
    void drop(String digest, Version seen) {
      versions.computeIfPresent(
          digest,
          (d, old) -> {
            if (old != seen) {
              return old;
            }
            index.remove(old.partition(), old.id());
            return null;
          });
    }

    /** Drops an entry whatever its version (it is gone from Redis, or expired). */
    void forget(String digest, String partition, String id) {
      versions.computeIfPresent(
          digest,
          (d, old) -> {
            if (old.live()) {
              index.remove(old.partition(), old.id());
            }
            return new Version(old.seq(), old.partition(), old.id(), 0, false);
          });
      index.remove(partition, id);
    }

    /** Drops an entry found expired at {@code now} (or unknown to the versions). */
    void expire(String digest, String partition, String id, long now) {
      versions.compute(
          digest,
          (d, old) -> {
            if (old != null && old.live() && now < old.expiresAt()) {
              return old; // replaced by a live entry meanwhile
            }
            index.remove(partition, id);
            return old == null ? null : new Version(old.seq(), partition, id, 0, false);
          });
    }
  }

  // ---------------------------------------------------------------- the value layout, version 1

  /**
   * The value of an entry, written into one array of exactly its length (counted first, as {@link
   * RedisResponseCacheStore#encodedBytes} counts an answer's), so that a long prompt text is
   * neither copied into a buffer of a guessed size nor copied again out of it.
   */
  static byte[] encode(String partition, String id, String text, long expiresAt, float[] vector) {
    long length =
        4 // magic
            + 1 // version
            + Wire.stringBytes(partition)
            + Wire.stringBytes(id)
            + Wire.stringBytes(text)
            + 8 // expires at
            + 4
            + 4L * vector.length;
    return new Wire.Writer(Math.toIntExact(length))
        .i32(MAGIC)
        .u8(VERSION)
        .string(partition)
        .string(id)
        .string(text)
        .i64(expiresAt)
        .floats(vector)
        .toByteArray();
  }

  static Entry decode(byte[] value) throws Wire.Malformed {
    Wire.Reader in = new Wire.Reader(value);
    if (in.i32() != MAGIC) {
      throw new Wire.Malformed("not a vector entry");
    }
    int version = in.u8();
    if (version != VERSION) {
      throw new Wire.Malformed("unknown version " + version);
    }
    Entry e = new Entry(in.string(), in.string(), in.string(), in.i64(), in.floats());
    in.end();
    if (e.vector().length == 0) {
      throw new Wire.Malformed("empty vector");
    }
    return e;
  }

  private static final byte[] S = {'s'};
  private static final byte[] V = {'v'};

  private static long nanos(Instant at) {
    return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000_000L), at.getNano());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String string(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Configures a {@link RedisVectorStore}; each setting is checked when it is set. */
  public static final class Builder {
    private final RedisConnection redis;
    private String name = DEFAULT_NAME;
    private Duration timeToLive = DEFAULT_TIME_TO_LIVE;
    private long maximumEntries = DEFAULT_MAXIMUM_ENTRIES;
    private long streamLength = DEFAULT_STREAM_LENGTH;
    private InstantSource clock = InstantSource.system();
    private Duration waitForLoad = Duration.ofSeconds(5);

    private Builder(RedisConnection redis) {
      this.redis = Objects.requireNonNull(redis, "redis");
    }

    /**
     * The namespace of the store's keys (default {@value RedisVectorStore#DEFAULT_NAME}): stores of
     * one name share their entries, stores of different names never do. Letters, digits, {@code -},
     * {@code _} and {@code .} only; it becomes the Redis Cluster hash tag of the keys.
     */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name");
      if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
        throw new IllegalArgumentException(
            "name must be 1 to 64 letters, digits, '.', '_' or '-' but was '" + name + "'");
      }
      this.name = name;
      return this;
    }

    /**
     * How long after it was written an entry expires (default 1 hour); at least a millisecond. In
     * Redis an entry is kept at most 10<sup>15</sup> ms (about 31,700 years), since Redis refuses
     * an expiry near the end of its clock; in the local index, one of {@code Long.MAX_VALUE}
     * nanoseconds (about 292 years) or longer, such as {@code ChronoUnit.FOREVER}'s, never expires.
     */
    public Builder timeToLive(Duration timeToLive) {
      this.timeToLive = Settings.atLeastOneMilli("timeToLive", timeToLive);
      return this;
    }

    /** How many entries the store holds over all partitions; the oldest go first beyond it. */
    public Builder maximumEntries(long maximumEntries) {
      this.maximumEntries = Settings.atLeast("maximumEntries", maximumEntries, 1);
      return this;
    }

    /**
     * About how many changes the shared stream keeps (default {@value
     * RedisVectorStore#DEFAULT_STREAM_LENGTH}); an instance that falls further behind reloads.
     */
    public Builder streamLength(long changes) {
      this.streamLength = Settings.atLeast("streamLength", changes, 100);
      return this;
    }

    /**
     * The clock this instance counts each entry's time to live on (default: the system clock);
     * Redis counts it on its own, and other instances on theirs.
     */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How long {@link #build} waits for the first load of the stored entries (default 5 s); when
     * Redis does not answer in time the store starts empty and loads them later. One longer than
     * 292 years ({@code ChronoUnit.FOREVER}'s) waits without limit.
     */
    public Builder waitForLoad(Duration wait) {
      Objects.requireNonNull(wait, "wait");
      if (wait.isNegative()) {
        throw new IllegalArgumentException("waitForLoad must be >= 0 but was " + wait);
      }
      this.waitForLoad = wait;
      return this;
    }

    /** Builds the store, starts its follower thread and waits for the first load. */
    public RedisVectorStore build() {
      RedisVectorStore store = new RedisVectorStore(this);
      store.start(waitForLoad);
      return store;
    }
  }
}
