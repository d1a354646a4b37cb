package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The gateway's view of a matched request of an OpenAI format or of Anthropic's Messages API (whose
 * top-level fields the gateway reads carry the same names). The body is read on first use, at most
 * once, and cheaply: one streaming pass reads the top-level fields the gateway needs (model,
 * stream, stream options, output allowance, n) and skips the rest without building it. A full tree
 * is built only when something needs it (a cache key, translation, content checks, the prompt log);
 * prompt tokens are counted on that tree when it exists, else off the bytes with a streaming parser
 * ({@link PromptTokens}), so a call that needs no tree builds none. Bodies larger than the
 * configured bound, or not a single JSON object, read as "not understood" and are sent unchanged.
 *
 * <p>Rewrites (another model, {@code stream_options.include_usage}) splice the application's bytes,
 * so everything else goes out exactly as the application wrote it.
 */
public final class OpenAiRequest implements WireRequest {

  private static final byte[] INCLUDE_USAGE = bytes("\"stream_options\":{\"include_usage\":true}");
  private static final byte[] COMMA_INCLUDE_USAGE =
      bytes(",\"stream_options\":{\"include_usage\":true}");
  private static final byte[] MODEL = bytes("\"model\":");
  private static final byte[] COMMA_MODEL = bytes(",\"model\":");
  private static final byte[] INCLUDE_USAGE_VALUE = bytes("{\"include_usage\":true}");
  private static final byte[] INCLUDE_USAGE_MEMBER = bytes("\"include_usage\":true");
  private static final byte[] INCLUDE_USAGE_MEMBER_AND_COMMA = bytes("\"include_usage\":true,");
  private static final byte[] TRUE = bytes("true");

  private final WireFormat format;
  private final CallMatch match;
  private final ClientRequest request;
  private final int maxParsedBodyBytes;
  private volatile TopLevelFields fields;
  private ObjectNode tree;
  private boolean treeBuilt;

  /** A request of the OpenAI format of the match's operation. */
  public OpenAiRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    this(OpenAiFormat.of(match.operation()), match, request, maxParsedBodyBytes);
  }

  /**
   * A request of {@code format}: an OpenAI format, or Anthropic's Messages API, whose top-level
   * {@code model}, {@code stream} and {@code max_tokens} are read and rewritten the same way.
   */
  OpenAiRequest(WireFormat format, CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    this.format = format;
    this.match = match;
    this.request = request;
    this.maxParsedBodyBytes = maxParsedBodyBytes;
  }

  /**
   * The top-level facts of the body, read in one streaming pass; once read, handed out without a
   * lock (they are published whole through the volatile field and never change).
   */
  private TopLevelFields fields() {
    TopLevelFields read = fields;
    return read != null ? read : readFields();
  }

  private synchronized TopLevelFields readFields() {
    if (fields == null) {
      byte[] bytes = request.body();
      fields =
          bytes.length <= maxParsedBodyBytes
              ? TopLevelFields.of(bytes, match.operation() == Operation.CHAT_COMPLETIONS)
              : TopLevelFields.NOT_UNDERSTOOD;
    }
    return fields;
  }

  @Override
  public WireFormat format() {
    return format;
  }

  /** The parsed body as a tree, or null when it is not understood. Built at most once. */
  @Override
  public synchronized ObjectNode body() {
    if (!treeBuilt) {
      treeBuilt = true;
      if (fields().understood) {
        byte[] bytes = request.body();
        JsonNode node = Json.parseOrNull(bytes, 0, bytes.length);
        tree = node instanceof ObjectNode ? (ObjectNode) node : null;
      }
    }
    return tree;
  }

  /**
   * The prompt tokens of this request as {@link PromptTokens} counts them, 0 when the body is not
   * understood: for a chat request of the common shape, off the strings noted when its fields were
   * read ({@link ChatPromptSpans}, no second walk); else on the tree when one was built, else off
   * the bytes (the same count) when the body was read on bytes and found strict JSON, walked again
   * on its bytes without a parser; the tree is built for anything else.
   */
  synchronized int promptTokens(TokenCounter counter, Operation operation) {
    TopLevelFields s = fields();
    if (!s.understood) {
      return 0;
    }
    ChatPromptSpans prompt = s.prompt;
    if (prompt != null && !prompt.gaveUp() && operation == Operation.CHAT_COMPLETIONS) {
      long tokens = prompt.count(request.body(), counter, counter.encodingFor(model()));
      return (int) Math.min(Integer.MAX_VALUE, tokens);
    }
    if (!treeBuilt && s.strict && operation != Operation.MESSAGES) {
      try {
        return PromptTokens.streamed(counter, model(), operation, request.body(), true);
      } catch (IOException | RuntimeException e) {
        // counted on the tree, which decides what the streaming read could not
      }
    }
    return PromptTokens.count(counter, model(), operation, body());
  }

  /**
   * Whether the prompt is counted off the strings noted in the walk that read the fields ({@link
   * ChatPromptSpans}) rather than by a walk of its own: for tests.
   */
  boolean promptNotedWithFields() {
    ChatPromptSpans prompt = fields().prompt;
    return prompt != null && !prompt.gaveUp();
  }

  /** This request with {@code body} in place of the application's bytes (a redacted prompt). */
  OpenAiRequest withBody(byte[] body) {
    return new OpenAiRequest(format, match, new ReplacedBody(request, body), maxParsedBodyBytes);
  }

  /** The body bytes exactly as the application sent them. */
  @Override
  public byte[] rawBody() {
    return request.body();
  }

  /**
   * The body rewritten for sending: {@code model} replaced (when {@code model} is not null) and
   * {@code stream_options.include_usage} set (when asked); null when nothing changes or the body
   * cannot be rewritten (not understood), so the application's bytes go out unchanged.
   *
   * <p>Only the bytes that change are written: a value replaced in place (the model, an {@code
   * include_usage} that was not true, a {@code stream_options} that is not an object), a member
   * added after the opening brace of {@code stream_options} or before the body's closing brace.
   * Every other byte, numbers above all, goes out exactly as the application wrote it; a value is
   * never parsed and written again.
   */
  public byte[] rewrittenBody(String model, boolean includeUsage) {
    TopLevelFields s = fields();
    if (!s.understood) {
      return null;
    }
    boolean changeModel = model != null && !model.equals(s.model);
    if (!includeUsage && !changeModel) {
      return null;
    }
    byte[] raw = request.body();
    if (!changeModel && !s.hasStreamOptions) {
      // The usual rewrite (a stream asking for no usage): one member added before the closing
      // brace, written out at once.
      return inserted(raw, s.closingBrace, s.members > 0 ? COMMA_INCLUDE_USAGE : INCLUDE_USAGE);
    }
    Splice splice = new Splice(raw);
    byte[] quotedModel = changeModel ? quoted(model) : null;
    boolean addModel = changeModel && s.modelStart < 0;
    if (changeModel && !addModel) {
      splice.replace(s.modelStart, s.modelEnd, quotedModel);
    }
    boolean addUsage = includeUsage && !s.hasStreamOptions;
    if (includeUsage
        && !addUsage
        && !includeUsageIn(raw, s.streamOptionsStart, s.streamOptionsEnd, splice)) {
      return null;
    }
    if (addModel || addUsage) {
      splice.replace(
          s.closingBrace,
          s.closingBrace,
          addedMembers(s.members > 0, addModel ? quotedModel : null, addUsage));
    }
    return splice.bytes();
  }

  /** {@code raw} with {@code bytes} put in at {@code at}. */
  private static byte[] inserted(byte[] raw, int at, byte[] bytes) {
    byte[] out = new byte[raw.length + bytes.length];
    System.arraycopy(raw, 0, out, 0, at);
    System.arraycopy(bytes, 0, out, at, bytes.length);
    System.arraycopy(raw, at, out, at + bytes.length, raw.length - at);
    return out;
  }

  /** The members added before the closing brace: the model and stream options, as asked. */
  private static byte[] addedMembers(boolean afterOthers, byte[] quotedModel, boolean usage) {
    if (quotedModel == null) {
      return afterOthers ? COMMA_INCLUDE_USAGE : INCLUDE_USAGE;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(afterOthers ? COMMA_MODEL : MODEL);
    out.writeBytes(quotedModel);
    if (usage) {
      out.writeBytes(COMMA_INCLUDE_USAGE);
    }
    return out.toByteArray();
  }

  /**
   * Sets {@code include_usage} in the {@code stream_options} value {@code raw[from, to)}: its last
   * {@code include_usage} value becomes {@code true}, or the member is added after the object's
   * opening brace, or, when the value is not an object, it becomes {@code {"include_usage":true}}.
   * False when the value does not read (it did when the body was first read, so never in practice).
   */
  private static boolean includeUsageIn(byte[] raw, int from, int to, Splice splice) {
    if (raw[from] != '{') {
      splice.replace(from, to, INCLUDE_USAGE_VALUE);
      return true;
    }
    int valueStart = -1;
    int valueEnd = -1;
    boolean members = false;
    try (JsonParser p = Json.MAPPER.getFactory().createParser(raw, from, to - from)) {
      p.nextToken(); // the object's opening brace
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        members = true;
        JsonToken value = p.nextToken();
        int start = (int) p.currentTokenLocation().getByteOffset(); // from the object's start
        int end = endOf(p, value);
        if (name.equals("include_usage")) {
          valueStart = from + start;
          valueEnd = from + end;
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    if (valueStart >= 0) {
      splice.replace(valueStart, valueEnd, TRUE);
    } else {
      splice.replace(
          from + 1, from + 1, members ? INCLUDE_USAGE_MEMBER_AND_COMMA : INCLUDE_USAGE_MEMBER);
    }
    return true;
  }

  /**
   * Where the value the parser is at (its first token is {@code value}) ends, as the parser counts
   * bytes; the parser is left after it.
   */
  private static int endOf(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
      p.skipChildren();
    } else {
      p.finishToken();
    }
    return (int) p.currentLocation().getByteOffset();
  }

  /**
   * Byte ranges of a body replaced (or, when empty, inserted into), written out in one copy; at
   * most three: the model, the stream options, the members added before the closing brace.
   */
  private static final class Splice {
    private final byte[] raw;
    private final int[] starts = new int[3];
    private final int[] ends = new int[3];
    private final byte[][] replacements = new byte[3][];
    private int count;

    Splice(byte[] raw) {
      this.raw = raw;
    }

    /** Replaces {@code raw[from, to)}, which overlaps no other range, with {@code bytes}. */
    void replace(int from, int to, byte[] bytes) {
      int at = count++;
      for (; at > 0 && starts[at - 1] > from; at--) {
        starts[at] = starts[at - 1];
        ends[at] = ends[at - 1];
        replacements[at] = replacements[at - 1];
      }
      starts[at] = from;
      ends[at] = to;
      replacements[at] = bytes;
    }

    byte[] bytes() {
      int size = raw.length;
      for (int k = 0; k < count; k++) {
        size += replacements[k].length - (ends[k] - starts[k]);
      }
      byte[] out = new byte[size];
      int from = 0;
      int to = 0;
      for (int k = 0; k < count; k++) {
        System.arraycopy(raw, from, out, to, starts[k] - from);
        to += starts[k] - from;
        System.arraycopy(replacements[k], 0, out, to, replacements[k].length);
        to += replacements[k].length;
        from = ends[k];
      }
      System.arraycopy(raw, from, out, to, raw.length - from);
      return out;
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] quoted(String text) {
    try {
      return Json.MAPPER.writeValueAsBytes(text);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a string", e);
    }
  }

  @Override
  public Operation operation() {
    return match.operation();
  }

  @Override
  public String method() {
    return request.method();
  }

  @Override
  public String url() {
    return request.url();
  }

  /** The host the application addressed (see {@link ClientRequest#host()}). */
  @Override
  public String host() {
    return request.host();
  }

  /** The port the application addressed (see {@link ClientRequest#port()}). */
  @Override
  public int port() {
    return request.port();
  }

  /**
   * The provider the application addressed, as the OpenTelemetry GenAI conventions name it, told by
   * the path: Azure OpenAI for a deployment path or another {@code /openai/} path of Azure's (its
   * Responses API with an api-version), Azure AI Foundry for a {@code /models/} one, else OpenAI. A
   * {@code /openai/v1/} path is Azure OpenAI's v1 API only at an Azure host ({@code *.azure.com},
   * an API Management {@code *.azure-api.net}, their sovereign clouds') or with an {@code
   * api-version}: Groq and Amazon Bedrock ({@code *.amazonaws.com}, named as such) serve their
   * OpenAI-compatible APIs there too.
   */
  @Override
  public String provider() {
    if (format == AnthropicMessagesFormat.INSTANCE) {
      return BackendFlavor.ANTHROPIC.providerName();
    }
    if (deployment() != null) {
      return BackendFlavor.AZURE_OPENAI.providerName();
    }
    String path = encodedPath();
    if (path.contains(OPENAI_V1_PATH)) {
      String host = host();
      if (host != null && host.toLowerCase(Locale.ROOT).endsWith(AWS_HOST_SUFFIX)) {
        return BackendFlavor.BEDROCK.providerName();
      }
      return azureHost(host) || AzureApiVersions.of(url()) != null
          ? BackendFlavor.AZURE_OPENAI.providerName()
          : BackendFlavor.OPENAI.providerName();
    }
    if (path.contains("/openai/")) {
      return BackendFlavor.AZURE_OPENAI.providerName();
    }
    return path.contains("/models/") // Azure AI Foundry model inference, the one such path matched
        ? BackendFlavor.AZURE_AI_INFERENCE.providerName()
        : BackendFlavor.OPENAI.providerName();
  }

  /** The path of Azure OpenAI's v1 API, which other providers' OpenAI-compatible APIs share. */
  private static final String OPENAI_V1_PATH = "/openai/v1/";

  /** Amazon Web Services' hosts (Bedrock's OpenAI-compatible endpoint among them). */
  private static final String AWS_HOST_SUFFIX = ".amazonaws.com";

  /** The domains of Azure's hosts: public, US Government and China clouds, API Management. */
  private static final List<String> AZURE_HOST_SUFFIXES =
      List.of(
          ".azure.com",
          ".azure.us",
          ".azure.cn",
          ".azure-api.net",
          ".azure-api.us",
          ".azure-api.cn");

  private static boolean azureHost(String host) {
    if (host == null) {
      return false;
    }
    String lower = host.toLowerCase(Locale.ROOT);
    for (String suffix : AZURE_HOST_SUFFIXES) {
      if (lower.endsWith(suffix)) {
        return true;
      }
    }
    return false;
  }

  /** The raw path the application addressed (see {@link ClientRequest#encodedPath()}). */
  @Override
  public String encodedPath() {
    return request.encodedPath();
  }

  @Override
  public String header(String name) {
    return request.header(name);
  }

  @Override
  public List<String> headers(String name) {
    return request.headers(name);
  }

  @Override
  public <T> T tag(Class<? extends T> type) {
    return request.tag(type);
  }

  @Override
  public String deployment() {
    return match.deployment();
  }

  @Override
  public String model() {
    String model = fields().model;
    return model != null && !model.isBlank() ? model : match.deployment();
  }

  @Override
  public boolean stream() {
    return fields().stream;
  }

  @Override
  public boolean includeUsageRequested() {
    return fields().includeUsage;
  }

  /**
   * {@inheritDoc}
   *
   * <p>An integer too large for a long, or a whole number written as a fraction or exponent beyond
   * it ({@code 1e19}), reads as {@link Long#MAX_VALUE}: above every bound.
   */
  @Override
  public OptionalLong maxOutputTokens() {
    TopLevelFields s = fields();
    // The first field set, in the order max_completion_tokens, max_tokens, max_output_tokens
    // (-1: not set): chosen without an array of the three.
    long value =
        s.maxCompletionTokens >= 0
            ? s.maxCompletionTokens
            : s.maxTokens >= 0 ? s.maxTokens : s.maxOutputTokens;
    return value >= 0 ? OptionalLong.of(value) : OptionalLong.empty();
  }

  /** The field {@link #maxOutputTokens()} was read from, or null when none sets it. */
  @Override
  public String maxOutputTokensField() {
    TopLevelFields s = fields();
    return s.maxCompletionTokens >= 0
        ? "max_completion_tokens"
        : s.maxTokens >= 0 ? "max_tokens" : s.maxOutputTokens >= 0 ? "max_output_tokens" : null;
  }

  /**
   * {@inheritDoc}
   *
   * <p>The legacy completions API generates {@code best_of} completions server-side, returns the
   * best {@code n} and bills every one generated: when {@code best_of} is larger than {@code n}, it
   * is the count of completions the allowance covers.
   */
  @Override
  public int choices() {
    TopLevelFields s = fields();
    return Math.max(s.choices, s.bestOf);
  }

  @Override
  public boolean bodyUnderstood() {
    return fields().understood;
  }

  @Override
  public Object parameter(String name) {
    ObjectNode body = body();
    com.fasterxml.jackson.databind.JsonNode value = body == null ? null : body.get(name);
    if (value == null || !value.isValueNode() || value.isNull()) {
      return null;
    }
    if (value.isNumber()) {
      return value.numberValue();
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    return value.asText();
  }

  /** The top-level fields of a request body, and where the rewritable parts sit in its bytes. */
  private static final class TopLevelFields {
    static final TopLevelFields NOT_UNDERSTOOD = new TopLevelFields();
    static final List<String> READ_FIELD_LIST =
        List.of(
            "model",
            "stream",
            "stream_options",
            "max_completion_tokens",
            "max_tokens",
            "max_output_tokens",
            "n",
            "best_of");
    static final Set<String> READ_FIELDS = Set.copyOf(READ_FIELD_LIST);

    /**
     * The fields read, by the length of their names (each length names at most one of them), so a
     * member's name is compared with one at most.
     */
    static final String[] READ_FIELD_BY_LENGTH = byLength(READ_FIELD_LIST);

    static final byte[][] READ_FIELD_BYTES_BY_LENGTH =
        Arrays.stream(READ_FIELD_BY_LENGTH)
            .map(name -> name == null ? null : name.getBytes(StandardCharsets.UTF_8))
            .toArray(byte[][]::new);

    private static String[] byLength(List<String> names) {
      String[] byLength = new String[names.stream().mapToInt(String::length).max().orElse(0) + 1];
      for (String name : names) {
        if (byLength[name.length()] != null) {
          throw new IllegalStateException("two fields read have names of one length");
        }
        byLength[name.length()] = name;
      }
      return byLength;
    }

    /**
     * The model read last by {@link #plainModel}, shared by all threads: a string is immutable, so
     * whichever one a thread sees is right for the bytes it spells.
     */
    private static volatile String recentModel;

    boolean understood;

    /** Read on bytes and found strict JSON ({@link StrictJson}), which Jackson reads throughout. */
    boolean strict;

    /**
     * A chat request's prompt noted in the same walk (read on bytes only, when asked), or null;
     * {@link ChatPromptSpans#gaveUp()} when its shape is not the common one.
     */
    ChatPromptSpans prompt;

    int members;
    String model;
    int modelStart = -1;
    int modelEnd = -1;
    boolean stream;
    boolean hasStreamOptions;

    /** Where the last stream_options value starts and ends. */
    int streamOptionsStart = -1;

    int streamOptionsEnd = -1;
    boolean includeUsage;
    long maxCompletionTokens = -1;
    long maxTokens = -1;
    long maxOutputTokens = -1;
    int choices = 1;

    /** The legacy completions' {@code best_of}: completions generated server-side; 1 if absent. */
    int bestOf = 1;

    int closingBrace = -1;

    /**
     * The fields of {@code bytes}; with {@code chatPrompt}, a chat prompt of the common shape is
     * noted in the same walk.
     */
    static TopLevelFields of(byte[] bytes, boolean chatPrompt) {
      TopLevelFields fast = onBytes(bytes, chatPrompt ? new ChatPromptSpans() : null);
      if (fast != null) {
        fast.strict = true;
        return fast;
      }
      return withParser(bytes);
    }

    /**
     * The fast way: the top level walked on bytes, every value skipped by {@link StrictJson} (which
     * accepts only what Jackson reads without error), and the values of the fields the gateway
     * reads read on bytes when simple ({@link #readPlain}), else handed to Jackson. Null when
     * anything is unusual; {@link #withParser} then decides.
     */
    private static TopLevelFields onBytes(byte[] b, ChatPromptSpans prompt) {
      int to = b.length;
      if (to > StrictJson.MAX_LENGTH) {
        return null;
      }
      StrictJson strict = StrictJson.NOT_NOTING; // skips values, notes no strings: shared
      TopLevelFields s = new TopLevelFields();
      s.prompt = prompt;
      int i = StrictJson.skipSpace(b, 0, to);
      if (i >= to || b[i] != '{') {
        return null;
      }
      i = StrictJson.skipSpace(b, i + 1, to);
      if (i < to && b[i] == '}') {
        return s.closedAt(b, i);
      }
      try {
        while (true) {
          if (i >= to || b[i] != '"') {
            return null;
          }
          int nameStart = i;
          int nameEnd = StrictJson.string(b, i, to, false);
          if (nameEnd < 0) {
            return null;
          }
          int field = readField(b, i + 1, nameEnd - 1);
          i = StrictJson.skipSpace(b, nameEnd, to);
          if (i >= to || b[i] != ':') {
            return null;
          }
          int valueStart = StrictJson.skipSpace(b, i + 1, to);
          int valueEnd = -1;
          if (prompt != null && prompt.isMessages(b, nameStart + 1, nameEnd - 1)) {
            valueEnd = prompt.read(b, valueStart, to); // -1 when not of its shape: checked below
          }
          if (valueEnd < 0) {
            valueEnd = strict.value(b, valueStart, to, 1);
          }
          if (valueEnd < 0) {
            return null;
          }
          if (prompt != null) {
            prompt.valueRead(b, nameStart + 1, nameEnd - 1, valueStart, valueEnd);
          }
          s.members++;
          if (field > 0 && !s.readPlain(field, b, valueStart, valueEnd)) {
            try (JsonParser p =
                Json.MAPPER.getFactory().createParser(b, valueStart, valueEnd - valueStart)) {
              s.read(READ_FIELD_BY_LENGTH[field], p.nextToken(), p, valueStart, valueEnd);
            }
          }
          i = StrictJson.skipSpace(b, valueEnd, to);
          if (i < to && b[i] == '}') {
            return s.closedAt(b, i);
          }
          if (i >= to || b[i] != ',') {
            return null;
          }
          i = StrictJson.skipSpace(b, i + 1, to);
        }
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    /**
     * The field the gateway reads whose name is {@code b[from, to)}, as the length of its name
     * (each length names at most one: {@link #MODEL_FIELD}, ...), or 0 when it is none of them.
     */
    private static int readField(byte[] b, int from, int to) {
      int length = to - from;
      if (length >= READ_FIELD_BY_LENGTH.length) {
        return 0;
      }
      byte[] name = READ_FIELD_BYTES_BY_LENGTH[length];
      return name != null && StrictJson.startsWith(b, from, to, name) ? length : 0;
    }

    /** The fields read, by the length of their names (as {@link #readField} tells them). */
    private static final int N_FIELD = 1;

    private static final int BEST_OF_FIELD = 7;

    private static final int MODEL_FIELD = 5;
    private static final int STREAM_FIELD = 6;
    private static final int MAX_TOKENS_FIELD = 10;
    private static final int MAX_OUTPUT_TOKENS_FIELD = 17;
    private static final int MAX_COMPLETION_TOKENS_FIELD = 21;

    /**
     * Reads the common, simple forms of a field's value without a parser: the literals, a string of
     * printable ASCII without escapes, a small integer. The field is told by the length of its name
     * ({@link #readField}), so no string is compared. Returns false for anything else (escapes,
     * other characters, signs, fractions, exponents, long numbers), which {@link #read} then reads
     * with Jackson.
     */
    private boolean readPlain(int field, byte[] b, int start, int end) {
      byte first = b[start];
      if (first == 't' || first == 'f' || first == 'n') {
        // true, false or null, as StrictJson checked: only "stream" reads a literal as a value
        if (field == STREAM_FIELD) {
          stream = first == 't';
          return true;
        }
        return false;
      }
      if (first == '"') {
        if (field != MODEL_FIELD) {
          return false;
        }
        for (int k = start + 1; k < end - 1; k++) {
          if (b[k] < ' ' || b[k] == '\\') { // negative: not ASCII
            return false;
          }
        }
        model = plainModel(b, start + 1, end - 1);
        modelStart = start;
        modelEnd = end;
        return true;
      }
      if (first < '0' || first > '9' || end - start > 18 || !digitsOnly(b, start, end)) {
        return false;
      }
      long value = 0;
      for (int k = start; k < end; k++) {
        value = value * 10 + (b[k] - '0');
      }
      switch (field) {
        case MAX_COMPLETION_TOKENS_FIELD -> maxCompletionTokens = value;
        case MAX_TOKENS_FIELD -> maxTokens = value;
        case MAX_OUTPUT_TOKENS_FIELD -> maxOutputTokens = value;
        case N_FIELD -> choices = RequestCounts.choices(value);
        case BEST_OF_FIELD -> bestOf = RequestCounts.choices(value);
        default -> {
          return false;
        }
      }
      return true;
    }

    /**
     * The model named by the printable ASCII {@code b[from, to)}: the string read last for a model
     * when it spells the same (as it does call after call), so that its hash, computed once, serves
     * every lookup by model; else a new one, remembered in its place.
     */
    private static String plainModel(byte[] b, int from, int to) {
      String recent = recentModel;
      if (recent != null && recent.length() == to - from) {
        int k = from;
        while (k < to && b[k] == recent.charAt(k - from)) {
          k++;
        }
        if (k == to) {
          return recent;
        }
      }
      String model = new String(b, from, to - from, StandardCharsets.ISO_8859_1);
      recentModel = model;
      return model;
    }

    private static boolean digitsOnly(byte[] b, int start, int end) {
      for (int k = start; k < end; k++) {
        if (b[k] < '0' || b[k] > '9') {
          return false;
        }
      }
      return true;
    }

    /** The closing brace at {@code i}; understood when only whitespace follows. */
    private TopLevelFields closedAt(byte[] b, int i) {
      closingBrace = i;
      if (StrictJson.skipSpace(b, i + 1, b.length) != b.length) {
        return null;
      }
      understood = true;
      return this;
    }

    /** The careful way: Jackson's streaming parser over the whole body. */
    private static TopLevelFields withParser(byte[] bytes) {
      TopLevelFields s = new TopLevelFields();
      try (JsonParser p = Json.MAPPER.getFactory().createParser(bytes)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          return NOT_UNDERSTOOD;
        }
        JsonToken token;
        while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
          s.members++;
          String name = p.currentName();
          JsonToken value = p.nextToken();
          int start = (int) p.currentTokenLocation().getByteOffset();
          if (READ_FIELDS.contains(name)) {
            s.read(name, value, p, start, -1);
          } else {
            p.skipChildren();
          }
        }
        if (token != JsonToken.END_OBJECT) {
          return NOT_UNDERSTOOD;
        }
        s.closingBrace = (int) p.currentTokenLocation().getByteOffset();
        if (p.nextToken() != null) {
          return NOT_UNDERSTOOD; // trailing content: not one JSON object
        }
        s.understood = true;
        return s;
      } catch (IOException | RuntimeException e) {
        return NOT_UNDERSTOOD;
      }
    }

    /**
     * Reads one field the gateway needs, its value the parser's current token starting at byte
     * {@code start}; {@code end} is where it ends, or -1 to take it from the parser (which then
     * counts bytes from the body's start).
     */
    private void read(String name, JsonToken value, JsonParser p, int start, int end)
        throws IOException {
      switch (name) {
        case "model" -> {
          model = value == JsonToken.VALUE_STRING ? p.getText() : null;
          modelStart = start;
          modelEnd = end >= 0 ? end : endOf(p, value);
        }
        case "stream" -> {
          stream = value == JsonToken.VALUE_TRUE;
          p.skipChildren(); // an object or array: the parser path reads on after it
        }
        case "stream_options" -> {
          hasStreamOptions = true;
          includeUsage = value == JsonToken.START_OBJECT && readIncludeUsage(p);
          streamOptionsStart = start;
          if (value == JsonToken.START_OBJECT) {
            streamOptionsEnd = end >= 0 ? end : (int) p.currentLocation().getByteOffset();
          } else {
            streamOptionsEnd = end >= 0 ? end : endOf(p, value);
          }
        }
        case "max_completion_tokens" -> maxCompletionTokens = count(p, value);
        case "max_tokens" -> maxTokens = count(p, value);
        case "max_output_tokens" -> maxOutputTokens = count(p, value);
        case "n" -> choices = RequestCounts.choices(count(p, value));
        case "best_of" -> bestOf = RequestCounts.choices(count(p, value));
        default -> p.skipChildren();
      }
    }

    /** Reads a stream_options object to its end; whether it sets include_usage to true. */
    private static boolean readIncludeUsage(JsonParser p) throws IOException {
      boolean include = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if ("include_usage".equals(name)) {
          include = value == JsonToken.VALUE_TRUE;
        } else {
          p.skipChildren();
        }
      }
      return include;
    }

    /**
     * A count: a non-negative whole number, {@link Long#MAX_VALUE} for one beyond a long (so that
     * it stays above every bound instead of reading as absent), or -1 for anything else.
     */
    private static long count(JsonParser p, JsonToken value) throws IOException {
      if (value == JsonToken.VALUE_NUMBER_INT) {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          return p.getBigIntegerValue().signum() > 0 ? Long.MAX_VALUE : -1;
        }
        long n = p.getLongValue();
        return n >= 0 ? n : -1;
      }
      if (value == JsonToken.VALUE_NUMBER_FLOAT) {
        double d = p.getDoubleValue(); // infinite when beyond a double
        if (d >= Long.MAX_VALUE) {
          return Long.MAX_VALUE;
        }
        return d >= 0 && d == Math.rint(d) ? (long) d : -1;
      }
      p.skipChildren();
      return -1;
    }
  }
}
