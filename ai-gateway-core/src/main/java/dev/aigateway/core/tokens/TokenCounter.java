package dev.aigateway.core.tokens;

import com.knuddels.jtokkit.api.Encoding;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Counts tokens locally, before a request is sent, so that token limits can reserve an estimate
 * without calling any backend: a model's encoding, the tokens of a text in it, and the bound a
 * prompt's image or other non-text part counts.
 *
 * <p>Text is counted exactly with the model's tiktoken encoding (via jtokkit). A whole request's
 * prompt (its messages, inputs and tool definitions, by OpenAI's published rules) is counted with a
 * counter by {@link dev.aigateway.core.Prompts#countTokens(TokenCounter, String,
 * dev.aigateway.api.Operation, String) Prompts.countTokens(counter, model, operation,
 * requestJson)}, which was this class's {@code countPrompt(model, operation, requestJson)}: finding
 * the prompt in a request is the wire formats' business, and they use this counter.
 *
 * <p>The work is bounded: a run of more than 256 letters, or of more than 256 characters that are
 * neither letters nor digits (a whitespace-free line, a long separator), is counted by its UTF-8
 * size plus 2 instead of being encoded, since the encoder's cost grows faster than such a run's
 * length (a 1 MB one took seconds, a 5 MB one exhausted a 1 GB heap). That count errs high: no
 * token of a byte-level BPE is shorter than a byte. Natural text has no such runs and is counted
 * exactly.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * <pre>{@code
 * TokenCounter counter = TokenCounter.builder()
 *     .encodingForModelPrefix("my-deployment", TokenEncoding.CL100K_BASE) // an Azure deployment name
 *     .imageTokens(48_169)                                                 // callers use gpt-4o-mini
 *     .build();
 * int tokens = counter.countText("my-deployment", "Hello");
 * }</pre>
 */
public final class TokenCounter {

  /** The encoding used for models that no mapping matches: {@code o200k_base}. */
  public static final TokenEncoding DEFAULT_ENCODING = TokenEncoding.O200K_BASE;

  /**
   * The tokens counted per image or other non-text content part by default: 1445.
   *
   * <p>This is the most a single high-detail image costs on gpt-4o-class models. OpenAI scales an
   * image to fit in 2048 × 2048, then so that its shortest side is at most 768 px, and charges 85
   * tokens plus 170 per 512 px tile. The largest tiling that survives the resize is 2 × 4 tiles
   * (768 × 2048), so an image costs at most 85 + 170 × 8 = 1445 tokens; low-detail images cost 85.
   * gpt-4o-mini reports image tokens about 33 times larger (2833 + 5667 per tile, at most 48 169
   * per image), so users of it should raise the bound with {@link Builder#imageTokens(int)}.
   *
   * <p>Audio and files are billed by their length, which the request does not reveal without
   * decoding them; they count the same bound, which can be low for long recordings or documents.
   */
  public static final int DEFAULT_IMAGE_TOKENS = 85 + 170 * 8;

  // Model names come from callers, so the cache must not grow without bound; clearing it now and
  // then is cheaper than an LRU and resolving a model again costs microseconds.
  private static final int MAX_CACHED_MODELS = 1024;

  /** What starts the name of a model fine-tuned at OpenAI, before its base model's name. */
  private static final String FINE_TUNED_PREFIX = "ft:";

  /** Model names longer than this (no real one is) are resolved on every use, never cached. */
  private static final int MAX_CACHED_MODEL_LENGTH = 256;

  // Longest prefix wins, so "gpt-4" (cl100k) does not capture "gpt-4o" or "gpt-4.1" (o200k).
  private static final List<PrefixMapping> BUILT_IN_MAPPINGS =
      longestFirst(
          Map.ofEntries(
              Map.entry("gpt-4o", TokenEncoding.O200K_BASE),
              Map.entry("chatgpt-4o", TokenEncoding.O200K_BASE),
              Map.entry("gpt-4.1", TokenEncoding.O200K_BASE),
              Map.entry("gpt-4.5", TokenEncoding.O200K_BASE),
              Map.entry("gpt-5", TokenEncoding.O200K_BASE),
              Map.entry("o1", TokenEncoding.O200K_BASE),
              Map.entry("o3", TokenEncoding.O200K_BASE),
              Map.entry("o4", TokenEncoding.O200K_BASE),
              Map.entry("gpt-4", TokenEncoding.CL100K_BASE),
              Map.entry("gpt-3.5", TokenEncoding.CL100K_BASE),
              Map.entry("gpt-35-turbo", TokenEncoding.CL100K_BASE),
              Map.entry("text-embedding-3-", TokenEncoding.CL100K_BASE),
              Map.entry("text-embedding-ada-002", TokenEncoding.CL100K_BASE),
              // The completions-only base models, as tiktoken maps them.
              Map.entry("davinci-002", TokenEncoding.CL100K_BASE),
              Map.entry("babbage-002", TokenEncoding.CL100K_BASE)));

  private static final TokenCounter DEFAULTS = builder().build();

  private final List<PrefixMapping> userMappings;
  private final TokenEncoding defaultEncoding;
  private final int imageTokens;
  private final ConcurrentHashMap<String, TokenEncoding> encodingByModel =
      new ConcurrentHashMap<>();

  private TokenCounter(Builder builder) {
    this.userMappings = longestFirst(builder.prefixes);
    this.defaultEncoding = builder.defaultEncoding;
    this.imageTokens = builder.imageTokens;
  }

  /**
   * The shared counter with the built-in model mappings, {@link #DEFAULT_ENCODING} and {@link
   * #DEFAULT_IMAGE_TOKENS}.
   */
  public static TokenCounter defaults() {
    return DEFAULTS;
  }

  /** A builder for a counter with its own model mappings, default encoding or image bound. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The encoding a model's text is counted with.
   *
   * <p>The name is matched case-insensitively by prefix, longest prefix first: the builder's
   * mappings (against the name as given and without its provider prefix), then the built-in
   * mappings (against the name without a provider prefix such as {@code openai/} or {@code
   * azure/}), then the default encoding. A model fine-tuned at OpenAI ({@code
   * ft:gpt-3.5-turbo-0125:org::id}) matches as the model it was tuned from. A null or blank model
   * gets the default encoding.
   */
  public TokenEncoding encodingFor(@Nullable String model) {
    if (model == null || model.isBlank()) {
      return defaultEncoding;
    }
    if (model.length() > MAX_CACHED_MODEL_LENGTH) {
      return resolve(model); // not kept: a caller's megabyte "model" must not stay in memory
    }
    TokenEncoding cached = encodingByModel.get(model);
    if (cached != null) {
      return cached;
    }
    TokenEncoding resolved = resolve(model);
    if (encodingByModel.size() >= MAX_CACHED_MODELS) {
      encodingByModel.clear();
    }
    encodingByModel.put(model, resolved);
    return resolved;
  }

  /**
   * The plain token count of a text in the model's encoding, without any message overhead. Special
   * token strings such as {@code <|endoftext|>} count as ordinary text. Null or empty text counts
   * 0.
   */
  public int countText(@Nullable String model, @Nullable CharSequence text) {
    if (text == null || text.length() == 0) {
      return 0;
    }
    return text(SharedEncodings.get(encodingFor(model)), text.toString());
  }

  /**
   * The plain token count of a text in an encoding, without any message overhead; as {@link
   * #countText(String, CharSequence)} once the model's encoding is known.
   */
  public int countText(TokenEncoding encoding, @Nullable CharSequence text) {
    if (text == null || text.length() == 0) {
      return 0;
    }
    return text(SharedEncodings.get(encoding), text.toString());
  }

  /**
   * The plain token count of the text {@code chars[offset, offset + length)} in an encoding; as
   * {@link #countText(TokenEncoding, CharSequence)}, for a reader that holds a text's characters in
   * a buffer (a streaming JSON parser): a short text counted recently is found on its characters,
   * without making a string of them.
   */
  public int countText(TokenEncoding encoding, char[] chars, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, chars.length);
    if (length == 0) {
      return 0;
    }
    Encoding loaded = SharedEncodings.get(encoding);
    if (length > RECENT_MAX_CHARS) {
      return text(loaded, new String(chars, offset, length));
    }
    int hash = 31 * System.identityHashCode(loaded);
    int textHash = 0;
    for (int k = offset; k < offset + length; k++) {
      textHash = 31 * textHash + chars[k];
    }
    hash += textHash;
    int slot = (hash ^ (hash >>> 16)) & (RECENT_SLOTS - 1);
    RecentCount recent = RECENT[slot];
    if (recent != null && recent.is(hash, loaded, chars, offset, length)) {
      return recent.count;
    }
    String text = new String(chars, offset, length);
    int count = text(loaded, text);
    RECENT[slot] = new RecentCount(hash, loaded, text, count);
    return count;
  }

  /**
   * The plain token count of the text whose characters are the ASCII bytes {@code bytes[offset,
   * offset + length)}, one character per byte; as {@link #countText(TokenEncoding, char[], int,
   * int)} on those characters, for a reader that holds a text's UTF-8 bytes (a JSON string without
   * escapes, say): a short text counted recently is found on its bytes, without decoding them or
   * making a string of them.
   *
   * @throws IllegalArgumentException when a byte of the range is not ASCII (0x80 or more)
   */
  public int countAsciiText(TokenEncoding encoding, byte[] bytes, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, bytes.length);
    if (length == 0) {
      return 0;
    }
    int end = offset + length;
    // One pass, eight bytes a step: whether every byte is ASCII, and a hash of the bytes and the
    // encoding. A text shorter than eight bytes is read a byte at a time; a longer one's last
    // step reads the eight bytes before its end, some of them read before.
    long bits = 0;
    long hash = (encoding.ordinal() + 1) * ASCII_HASH_MULTIPLIER;
    if (length < Long.BYTES) {
      long word = 0;
      for (int k = offset; k < end; k++) {
        word = word << 8 | (bytes[k] & 0xff);
      }
      bits = word;
      hash = (hash ^ word ^ length) * ASCII_HASH_MULTIPLIER;
    } else {
      int k = offset;
      for (; k < end - Long.BYTES; k += Long.BYTES) {
        long word = (long) LONGS.get(bytes, k);
        bits |= word;
        hash = (hash ^ word) * ASCII_HASH_MULTIPLIER;
        hash ^= hash >>> 29;
      }
      long last = (long) LONGS.get(bytes, end - Long.BYTES);
      bits |= last;
      hash = (hash ^ last ^ length) * ASCII_HASH_MULTIPLIER;
    }
    if ((bits & HIGH_BITS) != 0) {
      throw new IllegalArgumentException("not ASCII text");
    }
    if (length > RECENT_MAX_CHARS) {
      return text(
          SharedEncodings.get(encoding),
          new String(bytes, offset, length, StandardCharsets.ISO_8859_1));
    }
    int slot = (int) (hash >>> (Long.SIZE - RECENT_ASCII_SLOT_BITS));
    byte[] recent = (byte[]) RECENT_ASCII_SLOT.getAcquire(RECENT_ASCII, slot);
    if (recent != null
        && recent.length == RECENT_ASCII_HEADER + length
        && recent[RECENT_ASCII_ENCODING] == encoding.ordinal()
        && Arrays.equals(recent, RECENT_ASCII_HEADER, recent.length, bytes, offset, end)) {
      return (int) INTS.get(recent, RECENT_ASCII_COUNT);
    }
    int count =
        text(
            SharedEncodings.get(encoding),
            new String(bytes, offset, length, StandardCharsets.ISO_8859_1));
    byte[] entry = new byte[RECENT_ASCII_HEADER + length];
    INTS.set(entry, RECENT_ASCII_COUNT, count);
    entry[RECENT_ASCII_ENCODING] = (byte) encoding.ordinal();
    System.arraycopy(bytes, offset, entry, RECENT_ASCII_HEADER, length);
    RECENT_ASCII_SLOT.setRelease(RECENT_ASCII, slot, entry);
    return count;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INTS =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;
  private static final long ASCII_HASH_MULTIPLIER = 0x9E3779B97F4A7C15L;

  /** Slots of {@link #RECENT_ASCII}: {@code 1 << RECENT_ASCII_SLOT_BITS}. */
  private static final int RECENT_ASCII_SLOT_BITS = 10;

  /**
   * The counts of recent short ASCII texts given as bytes ({@link #countAsciiText}), one per slot
   * by a hash of the text and its encoding, the latest text of a slot replacing the one before (at
   * most 1,024 texts of at most {@value #RECENT_MAX_CHARS} characters). Each entry is one array:
   * the count ({@link #RECENT_ASCII_COUNT}, four bytes), the encoding's ordinal ({@link
   * #RECENT_ASCII_ENCODING}), then the text's bytes; so a text found here costs the slot and that
   * one array, no string, no encoding loaded. Entries are never changed once published; a slot is
   * written with release and read with acquire semantics, so a thread that finds an entry sees all
   * of its bytes.
   */
  private static final byte[][] RECENT_ASCII = new byte[1 << RECENT_ASCII_SLOT_BITS][];

  private static final VarHandle RECENT_ASCII_SLOT =
      MethodHandles.arrayElementVarHandle(byte[][].class);
  private static final int RECENT_ASCII_COUNT = 0;
  private static final int RECENT_ASCII_ENCODING = 4;
  private static final int RECENT_ASCII_HEADER = 5;

  /** Slots of {@link #RECENT}: a power of two. */
  private static final int RECENT_SLOTS = 1024;

  /** Texts longer than this are looked up as strings, never in {@link #RECENT}. */
  private static final int RECENT_MAX_CHARS = 128;

  /**
   * The counts of recent short texts by a hash of their characters and encoding, one per slot, the
   * latest text of a slot replacing the one before (at most {@value #RECENT_SLOTS} texts of at most
   * {@value #RECENT_MAX_CHARS} characters): in front of {@link #COUNTS}, so that the roles and
   * short messages that recur from call to call are found without a string made of them. Threads
   * share it without locks: an entry is immutable, and a slot read while another thread writes it
   * holds either entry, each right for its own text.
   */
  private static final RecentCount[] RECENT = new RecentCount[RECENT_SLOTS];

  /** A short text's count in an encoding, and the hash it is filed under. */
  private static final class RecentCount {
    final int hash;
    final Encoding encoding;
    final String text;
    final int count;

    RecentCount(int hash, Encoding encoding, String text, int count) {
      this.hash = hash;
      this.encoding = encoding;
      this.text = text;
      this.count = count;
    }

    boolean is(int otherHash, Encoding otherEncoding, char[] chars, int offset, int length) {
      if (hash != otherHash || encoding != otherEncoding || text.length() != length) {
        return false;
      }
      for (int k = 0; k < length; k++) {
        if (text.charAt(k) != chars[offset + k]) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * The tokens counted for each image, audio, file or other non-text content part ({@link
   * Builder#imageTokens(int)}).
   */
  public int imageTokens() {
    return imageTokens;
  }

  @Override
  public String toString() {
    return "TokenCounter{defaultEncoding="
        + defaultEncoding.encodingName()
        + ", imageTokens="
        + imageTokens
        + ", modelPrefixes="
        + userMappings
        + '}';
  }

  private TokenEncoding resolve(String model) {
    String name = model.trim().toLowerCase(Locale.ROOT);
    // Routers spell models as "openai/gpt-4o" or even "openrouter/openai/gpt-4o".
    String bareName = name.substring(name.lastIndexOf('/') + 1);
    // OpenAI names a fine-tuned model "ft:<base model>:<organisation>:<suffix>:<id>".
    if (bareName.startsWith(FINE_TUNED_PREFIX)) {
      bareName = bareName.substring(FINE_TUNED_PREFIX.length());
    }
    TokenEncoding user = longestMatch(userMappings, name, bareName);
    if (user != null) {
      return user;
    }
    TokenEncoding builtIn = longestMatch(BUILT_IN_MAPPINGS, bareName, bareName);
    return builtIn != null ? builtIn : defaultEncoding;
  }

  private static @Nullable TokenEncoding longestMatch(
      List<PrefixMapping> mappings, String name, String bare) {
    for (PrefixMapping mapping : mappings) {
      if (name.startsWith(mapping.prefix()) || bare.startsWith(mapping.prefix())) {
        return mapping.encoding();
      }
    }
    return null;
  }

  private static int text(Encoding encoding, String text) {
    if (text.isEmpty()) {
      return 0;
    }
    // Roles, system prompts, tool definitions and conversation history repeat from call to call;
    // a lookup costs a hash and an equals (~20 ns for a short text), encoding a text again costs
    // ~0.5 us even for a handful of words. A text seen once pays ~0.6 us more for its insertion.
    return COUNTS.get(new CountedText(encoding, text), CountedText::count);
  }

  /** About what one cached count holds besides its text: entry, key, boxed count (bytes). */
  private static final int CACHED_ENTRY_OVERHEAD_BYTES = 96;

  /**
   * The counts of recent texts, shared process-wide, bounded by their approximate footprint (16
   * MiB): about 100,000 short texts, or some eight million characters of long ones.
   */
  private static final com.github.benmanes.caffeine.cache.Cache<CountedText, Integer> COUNTS =
      com.github.benmanes.caffeine.cache.Caffeine.newBuilder()
          // The cache's upkeep (replaying reads into its policy, evicting) runs on the counting
          // thread: by default it is handed to ForkJoinPool.commonPool() every few reads, and
          // waking a pool thread costs more CPU than the upkeep itself.
          .executor(Runnable::run)
          .maximumWeight(16L << 20)
          .weigher(
              (CountedText key, Integer count) ->
                  CACHED_ENTRY_OVERHEAD_BYTES + 2 * key.text().length())
          .build();

  /**
   * A text to count in an encoding, with its hash computed once. The texts come new from each
   * request's parse, so their hash is computed on every call; {@code String.hashCode} goes one
   * character a step on Java 17 (~7 us for a 6,000-character system prompt), so a long text is
   * hashed eight bytes a step over four lanes instead (equality is still the text's).
   */
  private static final class CountedText {
    /** Texts shorter than this are hashed by {@code String.hashCode}, as fast for them. */
    private static final int LANE_HASH_MIN_CHARS = 256;

    private static final java.lang.invoke.VarHandle LONGS =
        java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final long M1 = 0x9E3779B97F4A7C15L;
    private static final long M2 = 0xC2B2AE3D27D4EB4FL;

    private final Encoding encoding;
    private final String text;
    private final int hash;

    CountedText(Encoding encoding, String text) {
      this.encoding = encoding;
      this.text = text;
      this.hash = 31 * System.identityHashCode(encoding) + hash(text);
    }

    String text() {
      return text;
    }

    int count() {
      // Ordinary: a prompt containing "<|endoftext|>" is user text, not a reason to throw.
      return saturated(PieceBound.count(encoding, text));
    }

    static int hash(String text) {
      if (text.length() < LANE_HASH_MIN_CHARS) {
        return text.hashCode();
      }
      // Characters outside Latin-1 become '?': texts differing only there share a hash, which
      // costs an equals, never a wrong count.
      byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      long h0 = bytes.length;
      long h1 = M1;
      long h2 = M2;
      long h3 = ~M1;
      int i = 0;
      for (; i + 32 <= bytes.length; i += 32) {
        h0 = Long.rotateLeft(h0 ^ (long) LONGS.get(bytes, i), 31) * M1;
        h1 = Long.rotateLeft(h1 ^ (long) LONGS.get(bytes, i + 8), 31) * M1;
        h2 = Long.rotateLeft(h2 ^ (long) LONGS.get(bytes, i + 16), 31) * M1;
        h3 = Long.rotateLeft(h3 ^ (long) LONGS.get(bytes, i + 24), 31) * M1;
      }
      for (; i < bytes.length; i++) {
        h0 = (h0 ^ bytes[i]) * M2;
      }
      long h = (h0 * M2 + h1) * M2 + (h2 * M2 + h3);
      h ^= h >>> 32;
      return (int) h;
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof CountedText that
          && hash == that.hash
          && encoding == that.encoding
          && text.equals(that.text);
    }
  }

  private static int saturated(long tokens) {
    return (int) Math.min(Integer.MAX_VALUE, tokens);
  }

  private static List<PrefixMapping> longestFirst(Map<String, TokenEncoding> prefixes) {
    List<PrefixMapping> mappings = new ArrayList<>();
    prefixes.forEach((prefix, encoding) -> mappings.add(new PrefixMapping(prefix, encoding)));
    mappings.sort(
        Comparator.comparingInt((PrefixMapping mapping) -> mapping.prefix().length()).reversed());
    return List.copyOf(mappings);
  }

  private record PrefixMapping(String prefix, TokenEncoding encoding) {
    @Override
    public String toString() {
      return prefix + "*=" + encoding.encodingName();
    }
  }

  /**
   * Configures a {@link TokenCounter}. Settings are validated as they are made; {@link #build()}
   * copies them, so a builder can be reused.
   */
  public static final class Builder {
    private final Map<String, TokenEncoding> prefixes = new LinkedHashMap<>();
    private TokenEncoding defaultEncoding = DEFAULT_ENCODING;
    private int imageTokens = DEFAULT_IMAGE_TOKENS;

    private Builder() {}

    /**
     * Counts models whose name starts with {@code modelPrefix} (case-insensitive) with {@code
     * encoding}. These mappings are checked before the built-in ones, longest prefix first, against
     * the model name both as given and without its provider prefix; use them for deployment names
     * (Azure) or models the built-ins do not know.
     *
     * @throws IllegalArgumentException if the prefix is blank
     * @throws IllegalStateException if the prefix was already mapped
     */
    public Builder encodingForModelPrefix(String modelPrefix, TokenEncoding encoding) {
      Objects.requireNonNull(modelPrefix, "modelPrefix");
      Objects.requireNonNull(encoding, "encoding");
      String prefix = modelPrefix.trim().toLowerCase(Locale.ROOT);
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException(
            "modelPrefix must not be blank but was '" + modelPrefix + "'");
      }
      TokenEncoding previous = prefixes.putIfAbsent(prefix, encoding);
      if (previous != null) {
        throw new IllegalStateException(
            String.format(
                "model prefix '%s' was already mapped to %s", prefix, previous.encodingName()));
      }
      return this;
    }

    /** The encoding for models that no mapping matches; {@link #DEFAULT_ENCODING} by default. */
    public Builder defaultEncoding(TokenEncoding encoding) {
      this.defaultEncoding = Objects.requireNonNull(encoding, "defaultEncoding");
      return this;
    }

    /**
     * The tokens counted for each image, audio, file or other non-text content part: an upper
     * bound, since the size of an image is unknown without decoding it. {@link
     * #DEFAULT_IMAGE_TOKENS} by default, which covers gpt-4o-class models; raise it for models that
     * charge more per image, such as gpt-4o-mini.
     *
     * @throws IllegalArgumentException if {@code tokens} is not positive
     */
    public Builder imageTokens(int tokens) {
      if (tokens <= 0) {
        throw new IllegalArgumentException("imageTokens must be > 0 but was " + tokens);
      }
      this.imageTokens = tokens;
      return this;
    }

    /** A new immutable counter with these settings. */
    public TokenCounter build() {
      return new TokenCounter(this);
    }
  }
}
