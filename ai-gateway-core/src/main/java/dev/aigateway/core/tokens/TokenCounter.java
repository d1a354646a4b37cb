package dev.aigateway.core.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.aigateway.api.Operation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts the prompt tokens of an OpenAI-shaped request before it is sent, so that token limits can
 * reserve an estimate without calling any backend.
 *
 * <p>Text is counted exactly with the model's tiktoken encoding (via jtokkit). Chat messages follow
 * OpenAI's published rule from the cookbook "How to count tokens with tiktoken" ({@code
 * num_tokens_from_messages}): 3 tokens per message, 1 more when the message has a {@code name}, the
 * tokens of every string value of the message, and 3 tokens priming the reply. Images, audio, files
 * and tool definitions have no exact public rule; they are counted as documented estimates that err
 * high, because a reservation that is too small lets a caller overrun a limit while one that is too
 * large is settled back to actual usage after the call.
 *
 * <p>The work is bounded: a run of more than 256 letters, or of more than 256 characters that are
 * neither letters nor digits (a whitespace-free line, a long separator), is counted by its UTF-8
 * size plus 2 instead of being encoded, since the encoder's cost grows faster than such a run's
 * length (a 1 MB one took seconds, a 5 MB one exhausted a 1 GB heap). That count errs high: no
 * token of a byte-level BPE is shorter than a byte. Natural text has no such runs and is counted
 * exactly.
 *
 * <p>Instances are immutable and thread-safe. Counting never throws on odd request shapes: a field
 * that is missing or of an unexpected type counts 0.
 *
 * <pre>{@code
 * TokenCounter counter = TokenCounter.builder()
 *     .encodingForModelPrefix("my-deployment", EncodingType.CL100K_BASE) // an Azure deployment name
 *     .imageTokens(48_169)                                                // callers use gpt-4o-mini
 *     .build();
 * int prompt = counter.countPrompt("gpt-4o", Operation.CHAT_COMPLETIONS, requestBody);
 * }</pre>
 */
public final class TokenCounter {

  /** The encoding used for models that no mapping matches: {@code o200k_base}. */
  public static final EncodingType DEFAULT_ENCODING = EncodingType.O200K_BASE;

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

  private static final int TOKENS_PER_MESSAGE = 3;
  private static final int TOKENS_PER_NAME = 1;
  private static final int REPLY_PRIMING_TOKENS = 3;

  // Tool definitions are rendered by OpenAI in an unpublished format. The cookbook fits 7 to 10
  // tokens per function and 12 per request on top of the names and descriptions; the compact JSON
  // counted here also holds braces, quotes and schema keywords the rendering drops, so the
  // estimate errs high.
  private static final int TOKENS_PER_TOOL = 10;
  private static final int TOKENS_PER_TOOL_LIST = 12;

  // Model names come from callers, so the cache must not grow without bound; clearing it now and
  // then is cheaper than an LRU and resolving a model again costs microseconds.
  private static final int MAX_CACHED_MODELS = 1024;

  /** Model names longer than this (no real one is) are resolved on every use, never cached. */
  private static final int MAX_CACHED_MODEL_LENGTH = 256;

  // Longest prefix wins, so "gpt-4" (cl100k) does not capture "gpt-4o" or "gpt-4.1" (o200k).
  private static final List<PrefixMapping> BUILT_IN_MAPPINGS =
      longestFirst(
          Map.ofEntries(
              Map.entry("gpt-4o", EncodingType.O200K_BASE),
              Map.entry("chatgpt-4o", EncodingType.O200K_BASE),
              Map.entry("gpt-4.1", EncodingType.O200K_BASE),
              Map.entry("gpt-4.5", EncodingType.O200K_BASE),
              Map.entry("gpt-5", EncodingType.O200K_BASE),
              Map.entry("o1", EncodingType.O200K_BASE),
              Map.entry("o3", EncodingType.O200K_BASE),
              Map.entry("o4", EncodingType.O200K_BASE),
              Map.entry("gpt-4", EncodingType.CL100K_BASE),
              Map.entry("gpt-3.5", EncodingType.CL100K_BASE),
              Map.entry("gpt-35-turbo", EncodingType.CL100K_BASE),
              Map.entry("text-embedding-3-", EncodingType.CL100K_BASE),
              Map.entry("text-embedding-ada-002", EncodingType.CL100K_BASE),
              // The completions-only base models, as tiktoken maps them.
              Map.entry("davinci-002", EncodingType.CL100K_BASE),
              Map.entry("babbage-002", EncodingType.CL100K_BASE)));

  // Content parts whose "text" (or "refusal") string is the content; every other part type is an
  // image, audio clip, file or something newer, and counts the image bound.
  private static final Set<String> TEXT_PART_TYPES =
      Set.of("text", "input_text", "output_text", "refusal", "summary_text", "reasoning_text");

  // Responses items carry bookkeeping that is not model input; ids alone are ~20 tokens per item.
  private static final Set<String> RESPONSES_BOOKKEEPING_FIELDS = Set.of("type", "id", "status");

  private static final TokenCounter DEFAULTS = builder().build();

  private final List<PrefixMapping> userMappings;
  private final EncodingType defaultEncoding;
  private final int imageTokens;
  private final ConcurrentHashMap<String, EncodingType> encodingByModel = new ConcurrentHashMap<>();

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
   * azure/}), then the default encoding. A null or blank model gets the default encoding.
   */
  public EncodingType encodingFor(String model) {
    if (model == null || model.isBlank()) {
      return defaultEncoding;
    }
    if (model.length() > MAX_CACHED_MODEL_LENGTH) {
      return resolve(model); // not kept: a caller's megabyte "model" must not stay in memory
    }
    EncodingType cached = encodingByModel.get(model);
    if (cached != null) {
      return cached;
    }
    EncodingType resolved = resolve(model);
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
  public int countText(String model, CharSequence text) {
    if (text == null || text.length() == 0) {
      return 0;
    }
    return text(encoding(model), text.toString());
  }

  /**
   * The prompt tokens of a request body for an operation.
   *
   * <ul>
   *   <li>{@link Operation#CHAT_COMPLETIONS}: {@code messages} as in {@link #countChatMessages},
   *       plus the estimate for {@code tools} and legacy {@code functions}.
   *   <li>{@link Operation#COMPLETIONS}: {@code prompt} (a string, strings, token ids, or arrays of
   *       token ids, which count their length) and {@code suffix}.
   *   <li>{@link Operation#EMBEDDINGS}: {@code input}, in the same shapes as {@code prompt}.
   *   <li>{@link Operation#RESPONSES}: {@code instructions} as a developer message, {@code input}
   *       (a string as a user message, or items: messages counted like chat messages, other items
   *       such as {@code function_call} and {@code function_call_output} with the same per-message
   *       overhead and their string fields, ids and status excepted), 3 tokens priming the reply,
   *       plus the estimate for {@code tools}.
   * </ul>
   *
   * <p>When {@code model} is null or blank, the body's {@code model} field chooses the encoding. A
   * null body or operation counts 0; missing or odd fields count 0; this method never throws on the
   * shape of the body.
   */
  public int countPrompt(String model, Operation operation, JsonNode requestBody) {
    if (requestBody == null || !requestBody.isObject() || operation == null) {
      return 0;
    }
    String effectiveModel =
        model == null || model.isBlank() ? requestBody.path("model").textValue() : model;
    Encoding encoding = encoding(effectiveModel);
    long tokens =
        switch (operation) {
          case CHAT_COMPLETIONS ->
              messages(encoding, requestBody.get("messages"))
                  + tools(encoding, requestBody.get("tools"))
                  + tools(encoding, requestBody.get("functions"));
          case COMPLETIONS ->
              promptInput(encoding, requestBody.get("prompt"))
                  + text(encoding, requestBody.get("suffix"));
          case EMBEDDINGS -> promptInput(encoding, requestBody.get("input"));
          case RESPONSES ->
              responsesInput(encoding, requestBody) + tools(encoding, requestBody.get("tools"));
        };
    return saturated(tokens);
  }

  /**
   * The prompt tokens of a chat conversation and its tool definitions.
   *
   * <p>Each message costs 3 tokens, plus 1 when it has a {@code name}, plus the tokens of each of
   * its string values ({@code role}, {@code content}, {@code name}, {@code tool_call_id}, …); the
   * reply is primed with 3 more. Content given as parts counts each text part as text and each
   * image, audio, file or unknown part as the image bound. Assistant {@code tool_calls} and legacy
   * {@code function_call} count their function name and arguments as text. Elements that are not
   * objects are skipped; a {@code messages} value that is not an array counts 0.
   *
   * <p>{@code tools} may be a chat {@code tools} array ({@code
   * {"type":"function","function":{…}}}), a legacy {@code functions} array or a Responses {@code
   * tools} array. OpenAI publishes no exact rule for them, so each definition counts the tokens of
   * its compact JSON plus 10, and a non-empty list 12 more: an estimate that errs high, since the
   * rendering OpenAI uses drops most of the JSON punctuation and schema keywords.
   */
  public int countChatMessages(String model, JsonNode messages, JsonNode tools) {
    Encoding encoding = encoding(model);
    return saturated(messages(encoding, messages) + tools(encoding, tools));
  }

  @Override
  public String toString() {
    return "TokenCounter{defaultEncoding="
        + defaultEncoding.getName()
        + ", imageTokens="
        + imageTokens
        + ", modelPrefixes="
        + userMappings
        + '}';
  }

  private Encoding encoding(String model) {
    return SharedEncodings.get(encodingFor(model));
  }

  private EncodingType resolve(String model) {
    String name = model.trim().toLowerCase(Locale.ROOT);
    // Routers spell models as "openai/gpt-4o" or even "openrouter/openai/gpt-4o".
    String bareName = name.substring(name.lastIndexOf('/') + 1);
    EncodingType user = longestMatch(userMappings, name, bareName);
    if (user != null) {
      return user;
    }
    EncodingType builtIn = longestMatch(BUILT_IN_MAPPINGS, bareName, bareName);
    return builtIn != null ? builtIn : defaultEncoding;
  }

  private static EncodingType longestMatch(List<PrefixMapping> mappings, String name, String bare) {
    for (PrefixMapping mapping : mappings) {
      if (name.startsWith(mapping.prefix()) || bare.startsWith(mapping.prefix())) {
        return mapping.encoding();
      }
    }
    return null;
  }

  private long messages(Encoding encoding, JsonNode messages) {
    if (messages == null || !messages.isArray()) {
      return 0;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    for (JsonNode message : messages) {
      tokens += message(encoding, message, Set.of());
    }
    return tokens;
  }

  private long message(Encoding encoding, JsonNode message, Set<String> ignoredFields) {
    if (!message.isObject()) {
      return 0;
    }
    long tokens = TOKENS_PER_MESSAGE;
    for (Map.Entry<String, JsonNode> field : message.properties()) {
      String key = field.getKey();
      JsonNode value = field.getValue();
      if (ignoredFields.contains(key)) {
        continue;
      }
      if (value.isTextual()) {
        tokens += text(encoding, value.textValue());
        if (key.equals("name")) {
          tokens += TOKENS_PER_NAME;
        }
      } else if (key.equals("tool_calls")) {
        tokens += toolCalls(encoding, value);
      } else if (key.equals("function_call")) {
        tokens += stringValues(encoding, value);
      } else if (value.isArray()) {
        tokens += contentParts(encoding, value);
      }
    }
    return tokens;
  }

  private long contentParts(Encoding encoding, JsonNode parts) {
    long tokens = 0;
    for (JsonNode part : parts) {
      if (part.isTextual()) {
        tokens += text(encoding, part.textValue());
      } else if (part.isObject()) {
        String type = part.path("type").asText("");
        if (TEXT_PART_TYPES.contains(type) || (type.isEmpty() && part.has("text"))) {
          tokens += text(encoding, part.get("text")) + text(encoding, part.get("refusal"));
        } else {
          tokens += imageTokens;
        }
      }
    }
    return tokens;
  }

  private long toolCalls(Encoding encoding, JsonNode calls) {
    if (!calls.isArray()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode call : calls) {
      // "function" holds name and arguments; "custom" (custom tools) holds name and input.
      tokens += stringValues(encoding, call.get("function"));
      tokens += stringValues(encoding, call.get("custom"));
    }
    return tokens;
  }

  private long stringValues(Encoding encoding, JsonNode object) {
    if (object == null || !object.isObject()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode value : object) {
      tokens += text(encoding, value);
    }
    return tokens;
  }

  private long tools(Encoding encoding, JsonNode tools) {
    if (tools == null || !tools.isArray() || tools.isEmpty()) {
      return 0;
    }
    long tokens = TOKENS_PER_TOOL_LIST;
    for (JsonNode tool : tools) {
      if (!tool.isObject()) {
        continue;
      }
      JsonNode function = tool.get("function");
      JsonNode definition = function != null && function.isObject() ? function : tool;
      // JsonNode.toString() is compact JSON.
      tokens += TOKENS_PER_TOOL + text(encoding, definition.toString());
    }
    return tokens;
  }

  private long promptInput(Encoding encoding, JsonNode input) {
    if (input == null) {
      return 0;
    }
    if (input.isTextual()) {
      return text(encoding, input.textValue());
    }
    if (!input.isArray()) {
      return 0;
    }
    long tokens = 0;
    for (JsonNode element : input) {
      if (element.isArray()) {
        for (JsonNode inner : element) {
          tokens += textOrTokenId(encoding, inner);
        }
      } else {
        tokens += textOrTokenId(encoding, element);
      }
    }
    return tokens;
  }

  private static long textOrTokenId(Encoding encoding, JsonNode element) {
    if (element.isTextual()) {
      return text(encoding, element.textValue());
    }
    return element.isIntegralNumber() ? 1 : 0;
  }

  private long responsesInput(Encoding encoding, JsonNode body) {
    JsonNode instructions = body.get("instructions");
    JsonNode input = body.get("input");
    boolean hasInstructions = instructions != null && instructions.isTextual();
    boolean hasInput = input != null && (input.isTextual() || input.isArray());
    if (!hasInstructions && !hasInput) {
      return 0;
    }
    long tokens = REPLY_PRIMING_TOKENS;
    if (hasInstructions) {
      tokens += impliedMessage(encoding, "developer", instructions.textValue());
    }
    if (input != null && input.isTextual()) {
      tokens += impliedMessage(encoding, "user", input.textValue());
    } else if (input != null && input.isArray()) {
      for (JsonNode item : input) {
        tokens +=
            item.isTextual()
                ? text(encoding, item.textValue())
                : message(encoding, item, RESPONSES_BOOKKEEPING_FIELDS);
      }
    }
    return tokens;
  }

  // A string the Responses API turns into a message, counted as that message would be.
  private static long impliedMessage(Encoding encoding, String role, String content) {
    return TOKENS_PER_MESSAGE + text(encoding, role) + text(encoding, content);
  }

  private static long text(Encoding encoding, JsonNode node) {
    return node != null && node.isTextual() ? text(encoding, node.textValue()) : 0;
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

  private static List<PrefixMapping> longestFirst(Map<String, EncodingType> prefixes) {
    List<PrefixMapping> mappings = new ArrayList<>();
    prefixes.forEach((prefix, encoding) -> mappings.add(new PrefixMapping(prefix, encoding)));
    mappings.sort(
        Comparator.comparingInt((PrefixMapping mapping) -> mapping.prefix().length()).reversed());
    return List.copyOf(mappings);
  }

  private record PrefixMapping(String prefix, EncodingType encoding) {
    @Override
    public String toString() {
      return prefix + "*=" + encoding.getName();
    }
  }

  /**
   * Configures a {@link TokenCounter}. Settings are validated as they are made; {@link #build()}
   * copies them, so a builder can be reused.
   */
  public static final class Builder {
    private final Map<String, EncodingType> prefixes = new LinkedHashMap<>();
    private EncodingType defaultEncoding = DEFAULT_ENCODING;
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
    public Builder encodingForModelPrefix(String modelPrefix, EncodingType encoding) {
      Objects.requireNonNull(modelPrefix, "modelPrefix");
      Objects.requireNonNull(encoding, "encoding");
      String prefix = modelPrefix.trim().toLowerCase(Locale.ROOT);
      if (prefix.isEmpty()) {
        throw new IllegalArgumentException(
            "modelPrefix must not be blank but was '" + modelPrefix + "'");
      }
      EncodingType previous = prefixes.putIfAbsent(prefix, encoding);
      if (previous != null) {
        throw new IllegalStateException(
            String.format(
                "model prefix '%s' was already mapped to %s", prefix, previous.getName()));
      }
      return this;
    }

    /** The encoding for models that no mapping matches; {@link #DEFAULT_ENCODING} by default. */
    public Builder defaultEncoding(EncodingType encoding) {
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
