package dev.aigateway.redis;

import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ResponseCacheStore;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ResponseCacheStore} on Redis, so that every instance of an application serves the
 * answers any of them cached.
 *
 * <pre>{@code
 * RedisConnection redis = RedisConnection.builder().uri("redis://cache.internal:6379").build();
 * ResponseCacheStore answers = RedisResponseCacheStore.builder(redis)
 *     .timeToLive(Duration.ofMinutes(30))
 *     .maximumEntryBytes(256 * 1024)      // larger answers are not shared
 *     .build();
 * AiGateway gateway = AiGateway.builder()
 *     .responseCache(ResponseCache.builder().store(answers))
 *     .build();
 * }</pre>
 *
 * <p><b>Keys.</b> Each entry is one Redis string under {@code <prefix>cache:<digest>}, where the
 * digest is the SHA-256 of the partition and the key (each preceded by its length), so any strings
 * are safe and the key length is fixed. The value repeats the partition and the key, and a read
 * checks them: even two pairs whose digests collided never see each other's answer.
 *
 * <p><b>Values.</b> A small versioned binary layout of this module (no Java serialisation): a magic
 * number and version, the partition, the key, the format, the model, the usage (every count: its
 * cache-write, audio and image counts only in version 2, written when one of them is not zero),
 * when the answer was stored, when it expires, and the body's bytes as the backend sent them. A
 * value that does not parse (cut short, written by something else or by a later version) is a miss,
 * counted in {@link #malformedValues()}, never an exception.
 *
 * <p><b>Expiry and memory.</b> Every entry is written with {@code SET ... PX} the time to live, so
 * Redis drops it on its own; the expiry instant inside the value (on the store's {@linkplain
 * Builder#clock clock}) is checked on every read as well: it is the writing instance's clock, so
 * the instances' clocks must agree to well within the time to live (an instance whose clock is
 * behind writes answers the others serve that much less long). Entries larger than {@link
 * Builder#maximumEntryBytes} are not stored at all (counted in {@link #oversizedEntries()}); their
 * length is counted before they are encoded, so refusing one costs no copy of its body. The store
 * keeps no bound of its own on the total: configure Redis with {@code maxmemory} and an eviction
 * policy such as {@code volatile-lru} or {@code allkeys-lru}, and Redis forgets the least used
 * answers when it is full (a cache may forget). With {@code noeviction}, a full Redis refuses
 * writes, which the gateway logs and skips.
 *
 * <p><b>Failures.</b> A Redis error or timeout surfaces as Lettuce's {@code RedisException}; the
 * gateway then treats the call as a miss (on {@code get}) or leaves it uncached (on {@code put}),
 * and the application's call goes on. Thread-safe.
 */
public final class RedisResponseCacheStore implements ResponseCacheStore {

  /** How long an entry lives by default. */
  public static final Duration DEFAULT_TIME_TO_LIVE = Duration.ofHours(1);

  /** The largest entry stored by default, in bytes of its stored value. */
  public static final int DEFAULT_MAXIMUM_ENTRY_BYTES = 1 << 20;

  private static final Duration LONGEST_MILLIS = Duration.ofMillis(Long.MAX_VALUE);

  private static final Logger LOG = LoggerFactory.getLogger(RedisResponseCacheStore.class);

  /** "AGRC": ai-gateway response cache. */
  private static final int MAGIC = 0x41475243;

  /** The layout of a value whose usage has no cache-write, audio or image counts. */
  private static final int VERSION = 1;

  /**
   * Version 1 with the four detail counts after the five (cache write, audio in and out, image).
   */
  private static final int VERSION_DETAILED = 2;

  /**
   * What every value holds besides its body, at the least: the layout of version 1 with an empty
   * partition and key and no model.
   */
  private static final long LEAST_OVERHEAD_BYTES =
      encodedBytes(
          "",
          "",
          new CachedResponse(
              CachedResponse.Format.JSON, new byte[0], null, Usage.ZERO, Instant.EPOCH));

  private final RedisConnection redis;
  private final Duration timeToLive;
  private final Duration keptFor;
  private final long timeToLiveMillis;
  private final int maximumEntryBytes;
  private final InstantSource clock;
  private final AtomicLong oversized = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();

  private RedisResponseCacheStore(Builder b) {
    this.redis = b.redis;
    this.timeToLive = b.timeToLive;
    this.keptFor = Settings.keptInRedis(b.timeToLive);
    this.timeToLiveMillis = Math.max(1, ceilMillis(keptFor));
    this.maximumEntryBytes = b.maximumEntryBytes;
    this.clock = b.clock;
  }

  /** A builder over {@code redis}, with the documented defaults. */
  public static Builder builder(RedisConnection redis) {
    return new Builder(redis);
  }

  @Override
  public Optional<CachedResponse> get(String partition, String key) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(key, "key");
    byte[] value = commands().get(redisKey(partition, key));
    if (value == null) {
      return Optional.empty();
    }
    Decoded decoded;
    try {
      decoded = decode(value);
    } catch (Wire.Malformed e) {
      malformed.incrementAndGet();
      LOG.debug(
          "ai-gateway: unreadable response cache value treated as a miss: {}", e.getMessage());
      return Optional.empty();
    }
    if (!decoded.partition.equals(partition) || !decoded.key.equals(key)) {
      return Optional.empty(); // another pair with the same digest
    }
    if (!clock.instant().isBefore(decoded.expiresAt)) {
      return Optional.empty();
    }
    return Optional.of(decoded.response);
  }

  @Override
  public void put(String partition, String key, CachedResponse response) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(response, "response");
    if (encodedBytes(partition, key, response) > maximumEntryBytes) {
      oversized.incrementAndGet(); // counted, not encoded: a huge answer costs no copy of itself
      return;
    }
    byte[] value = encode(partition, key, response, clock.instant().plus(keptFor));
    commands().set(redisKey(partition, key), value, SetArgs.Builder.px(timeToLiveMillis));
  }

  @Override
  public void remove(String partition, String key) {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(key, "key");
    commands().del(redisKey(partition, key));
  }

  /**
   * The longest a {@link #get}, {@link #put} or {@link #remove} takes: the connection's command
   * timeout. The response cache therefore calls this store on the calling thread, without a
   * hand-off, when its timeout is at least this.
   */
  @Override
  public Duration callTimeout() {
    return redis.commandTimeout();
  }

  /**
   * The longest body an entry under the {@linkplain Builder#maximumEntryBytes entry bound} can
   * hold: the bound less what every value holds besides its body (about 90 bytes). The gateway
   * stops keeping a copy of an answer as it passes once it is longer, so an answer this store would
   * refuse costs no copy; one a little shorter may still be refused, its partition, key and model
   * taking it over the bound.
   */
  @Override
  public int maximumBodyBytes() {
    return (int) Math.max(0, maximumEntryBytes - LEAST_OVERHEAD_BYTES);
  }

  /** How many answers were not stored because their value exceeded the entry bound. */
  public long oversizedEntries() {
    return oversized.get();
  }

  /** How many values read from Redis could not be parsed (and were treated as misses). */
  public long malformedValues() {
    return malformed.get();
  }

  /** The time to live of entries. */
  public Duration timeToLive() {
    return timeToLive;
  }

  /** The largest entry stored, in bytes of its stored value. */
  public int maximumEntryBytes() {
    return maximumEntryBytes;
  }

  @Override
  public String toString() {
    return "RedisResponseCacheStore["
        + redis
        + ", ttl="
        + timeToLive
        + ", maximumEntryBytes="
        + maximumEntryBytes
        + "]";
  }

  private RedisCommands<byte[], byte[]> commands() {
    return redis.bytes().sync();
  }

  /** The Redis key of a (partition, key) pair. */
  byte[] redisKey(String partition, String key) {
    return redis.key("cache", Digests.of(partition, key)).getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- the value layout, versions 1,
  // 2

  /**
   * The value of an entry: version 1 when its usage has no cache-write, audio or image counts (so
   * that instances of an earlier release, which read only version 1, still read it), else version
   * 2, which carries those four counts after the other five.
   */
  static byte[] encode(String partition, String key, CachedResponse r, Instant expiresAt) {
    Usage u = r.usage();
    boolean detailed = detailed(u);
    Wire.Writer out =
        new Wire.Writer(Math.toIntExact(encodedBytes(partition, key, r)))
            .i32(MAGIC)
            .u8(detailed ? VERSION_DETAILED : VERSION)
            .string(partition)
            .string(key)
            .u8(r.format() == CachedResponse.Format.JSON ? 0 : 1)
            .nullableString(r.model())
            .i64(u.inputTokens())
            .i64(u.outputTokens())
            .i64(u.totalTokens())
            .i64(u.cachedInputTokens())
            .i64(u.reasoningTokens());
    if (detailed) {
      out.i64(u.cacheWriteInputTokens())
          .i64(u.audioInputTokens())
          .i64(u.audioOutputTokens())
          .i64(u.imageInputTokens());
    }
    return out.i64(r.storedAt().getEpochSecond())
        .i32(r.storedAt().getNano())
        .i64(expiresAt.getEpochSecond())
        .i32(expiresAt.getNano())
        .bytes(r.body())
        .toByteArray();
  }

  /**
   * The length of the value {@link #encode} writes, counted without writing it: a put over the
   * entry bound is refused before it copies a byte of the body.
   */
  static long encodedBytes(String partition, String key, CachedResponse r) {
    return 4 // magic
        + 1 // version
        + Wire.stringBytes(partition)
        + Wire.stringBytes(key)
        + 1 // format
        + Wire.nullableStringBytes(r.model())
        + 8 * (detailed(r.usage()) ? 9 : 5)
        + 2 * (8 + 4) // stored at, expires at
        + 4
        + (long) r.body().length;
  }

  /** Whether the usage needs version 2: a cache-write, audio or image count. */
  private static boolean detailed(Usage u) {
    return u.cacheWriteInputTokens() != 0
        || u.audioInputTokens() != 0
        || u.audioOutputTokens() != 0
        || u.imageInputTokens() != 0;
  }

  static Decoded decode(byte[] value) throws Wire.Malformed {
    Wire.Reader in = new Wire.Reader(value);
    if (in.i32() != MAGIC) {
      throw new Wire.Malformed("not a response cache value");
    }
    int version = in.u8();
    if (version != VERSION && version != VERSION_DETAILED) {
      throw new Wire.Malformed("unknown version " + version);
    }
    String partition = in.string();
    String key = in.string();
    int format = in.u8();
    if (format > 1) {
      throw new Wire.Malformed("unknown format " + format);
    }
    String model = in.nullableString();
    try {
      Usage usage =
          version == VERSION
              ? new Usage(in.i64(), in.i64(), in.i64(), in.i64(), in.i64())
              : new Usage(
                  in.i64(), in.i64(), in.i64(), in.i64(), in.i64(), in.i64(), in.i64(), in.i64(),
                  in.i64());
      Instant storedAt = Instant.ofEpochSecond(in.i64(), in.i32());
      Instant expiresAt = Instant.ofEpochSecond(in.i64(), in.i32());
      byte[] body = in.bytes();
      in.end();
      CachedResponse response =
          new CachedResponse(
              format == 0 ? CachedResponse.Format.JSON : CachedResponse.Format.SSE,
              body,
              model,
              usage,
              storedAt);
      return new Decoded(partition, key, response, expiresAt);
    } catch (IllegalArgumentException | DateTimeException | ArithmeticException e) {
      // a negative count, an instant beyond what Instant holds (seconds and nanoseconds that add
      // up past a long overflow)
      throw new Wire.Malformed("bad field: " + e.getMessage());
    }
  }

  record Decoded(String partition, String key, CachedResponse response, Instant expiresAt) {}

  /** {@code d} in milliseconds, rounded up, saturated at {@link Long#MAX_VALUE}. */
  static long ceilMillis(Duration d) {
    if (d.compareTo(LONGEST_MILLIS) >= 0) {
      return Long.MAX_VALUE;
    }
    long millis = d.toMillis();
    return d.minusMillis(millis).isZero() ? millis : millis + 1;
  }

  /** Configures a {@link RedisResponseCacheStore}; each setting is checked when it is set. */
  public static final class Builder {
    private final RedisConnection redis;
    private Duration timeToLive = DEFAULT_TIME_TO_LIVE;
    private int maximumEntryBytes = DEFAULT_MAXIMUM_ENTRY_BYTES;
    private InstantSource clock = InstantSource.system();

    private Builder(RedisConnection redis) {
      this.redis = Objects.requireNonNull(redis, "redis");
    }

    /**
     * How long after it was stored an entry expires (default 1 hour); at least a millisecond. One
     * beyond about 31,700 years (10<sup>15</sup> ms; {@code ChronoUnit.FOREVER}'s, say) keeps
     * entries that long.
     */
    public Builder timeToLive(Duration timeToLive) {
      this.timeToLive = Settings.atLeastOneMilli("timeToLive", timeToLive);
      return this;
    }

    /**
     * The largest value stored, in bytes (default 1 MiB): the body plus about 100 bytes and the
     * partition and key. Larger answers are not stored.
     */
    public Builder maximumEntryBytes(int bytes) {
      this.maximumEntryBytes = (int) Settings.atLeast("maximumEntryBytes", bytes, 1);
      return this;
    }

    /**
     * The clock expiry instants are computed and checked on (default: the system clock); Redis
     * itself drops entries after the time to live on its own clock.
     */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The store; it shares {@code redis}'s connection. */
    public RedisResponseCacheStore build() {
      return new RedisResponseCacheStore(this);
    }
  }
}
