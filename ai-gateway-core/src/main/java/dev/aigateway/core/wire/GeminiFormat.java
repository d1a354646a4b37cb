package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.api.RejectionReason;
import dev.aigateway.api.Usage;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.tokens.TokenCounts;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Google's Gemini protocol, on the Gemini API ({@code POST /v1beta/models/{model}:generateContent})
 * and on Vertex AI ({@code POST
 * /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent}); tuned models
 * ({@code tunedModels/{id}}) and Vertex endpoints ({@code endpoints/{id}}) too. The model is in the
 * path, not the body; {@code :streamGenerateContent} streams, as server-sent events with {@code
 * ?alt=sse} and as one JSON array whose elements arrive one by one without it.
 *
 * <p>Each response (the document, or each chunk of a stream) may carry {@code usageMetadata}; in a
 * stream it is cumulative, so the last one read wins. In the library's terms: input is {@code
 * promptTokenCount} (which includes {@code cachedContentTokenCount}) plus {@code
 * toolUsePromptTokenCount}; output is {@code candidatesTokenCount} plus {@code thoughtsTokenCount};
 * reasoning is {@code thoughtsTokenCount}; the total is {@code totalTokenCount}. A stream has no
 * end marker: a candidate's {@code finishReason} (or a prompt blocked by {@code promptFeedback})
 * marks it complete, as does the closing bracket of an array stream.
 *
 * <p>A request's framing (document, event stream, array stream) decides its answers' shape (cached
 * answers are replayed in it) and the backend URL (method and {@code alt=sse} kept), so each
 * request is read by the instance of its framing ({@link WireRequest#format()}); the one {@link
 * #INSTANCE} registered recognises them all.
 */
final class GeminiFormat implements ModelInPath {

  /** How the answers of a call are framed. */
  enum Framing {
    /** {@code :generateContent}: one JSON document. */
    DOCUMENT,
    /** {@code :streamGenerateContent?alt=sse}: server-sent events, one response per event. */
    EVENTS,
    /** {@code :streamGenerateContent}: a JSON array of responses. */
    ARRAY
  }

  static final String GENERATE = ":generateContent";
  static final String STREAM = ":streamGenerateContent";

  /** The instance the registry holds; it reads a document call and recognises every call. */
  static final GeminiFormat INSTANCE = new GeminiFormat(Framing.DOCUMENT);

  private static final GeminiFormat EVENTS = new GeminiFormat(Framing.EVENTS);
  private static final GeminiFormat ARRAY = new GeminiFormat(Framing.ARRAY);

  private static final List<String> PATH_ENDINGS = List.of(GENERATE, STREAM);
  private static final List<String> TEMPERATURE = List.of("/generationConfig/temperature");
  private static final String JSON_TYPE = "application/json; charset=UTF-8";
  private static final JsonFactory JSON = Json.MAPPER.getFactory();

  private final Framing framing;

  private GeminiFormat(Framing framing) {
    this.framing = framing;
  }

  /** The instance that reads and answers calls framed as {@code framing}. */
  static GeminiFormat of(Framing framing) {
    return switch (framing) {
      case DOCUMENT -> INSTANCE;
      case EVENTS -> EVENTS;
      case ARRAY -> ARRAY;
    };
  }

  Framing framing() {
    return framing;
  }

  @Override
  public String name() {
    return switch (framing) {
      case DOCUMENT -> "gemini.generate_content";
      case EVENTS -> "gemini.stream_generate_content.sse";
      case ARRAY -> "gemini.stream_generate_content";
    };
  }

  /** {@code generateContent}, which the GenAI conventions name {@code generate_content}. */
  @Override
  public Operation operation() {
    return Operation.GENERATE_CONTENT;
  }

  /** Method endings: the registry matches them against the text after a last segment's colon. */
  @Override
  public List<String> pathEndings() {
    return PATH_ENDINGS;
  }

  /** {@code generationConfig.temperature}. */
  @Override
  public List<String> temperatureFields() {
    return TEMPERATURE;
  }

  /** Whether {@code path} ends in one of Gemini's generation methods (a cheap first test). */
  static boolean endsInGenerateMethod(String path) {
    return methodStart(path) >= 0;
  }

  /**
   * Where the method of {@code path} begins, its colon ({@code :generateContent}, {@code
   * :streamGenerateContent}) or the colon percent-encoded ({@code %3AgenerateContent}, as some
   * clients write it and Google reads it); -1 when it ends in neither method.
   */
  private static int methodStart(String path) {
    int end = path.length();
    for (String method : PATH_ENDINGS) {
      if (path.endsWith(method)) {
        return end - method.length();
      }
      int name = end - (method.length() - 1);
      if (name >= 3
          && path.regionMatches(name, method, 1, method.length() - 1)
          && WireFormats.encodedColon(path, name - 3, name) == name - 3) {
        return name - 3;
      }
    }
    return -1;
  }

  @Override
  public @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers) {
    return match(method, path);
  }

  /**
   * A {@code POST} to {@code .../models/{model}:generateContent} (or {@code tunedModels}, {@code
   * endpoints}) or its {@code :streamGenerateContent}; the match names the model (decoded) as its
   * deployment.
   */
  static @Nullable CallMatch match(String method, String path) {
    return "POST".equals(method) ? pathRead(path).match() : null;
  }

  /**
   * What a path says: the match it is read as (null when it is none of Gemini's), and whether it
   * names {@code :streamGenerateContent}.
   */
  private record PathRead(String path, @Nullable CallMatch match, boolean stream) {}

  /**
   * The last path read, kept so that recognising a call, choosing its format and reading its
   * request, and the next calls to the same model, do not cut, decode and compare the path again.
   * Immutable, so that threads that read it see a whole one.
   */
  private static volatile @Nullable PathRead lastPath;

  private static PathRead pathRead(String path) {
    PathRead last = lastPath;
    if (last != null && last.path().equals(path)) {
      return last;
    }
    PathRead read = new PathRead(path, matchPath(path), path.endsWith(STREAM.substring(1)));
    lastPath = read;
    return read;
  }

  /** The match of a {@code POST} to {@code path}, cut and decoded, not kept; null when none. */
  static @Nullable CallMatch matchPath(String path) {
    int colon = methodStart(path);
    if (colon < 0) {
      return null;
    }
    int slash = path.lastIndexOf('/', colon - 1);
    if (slash < 0 || slash + 1 == colon) {
      return null;
    }
    int collection = path.lastIndexOf('/', slash - 1) + 1;
    if (!isCollection(path, collection, slash)) {
      return null;
    }
    String model = path.substring(slash + 1, colon);
    if (model.indexOf('%') >= 0) {
      try {
        model = URLDecoder.decode(model.replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return new CallMatch(Operation.GENERATE_CONTENT, model);
  }

  private static boolean isCollection(String path, int from, int to) {
    return regionIs(path, from, to, "models")
        || regionIs(path, from, to, "tunedModels")
        || regionIs(path, from, to, "endpoints");
  }

  private static boolean regionIs(String path, int from, int to, String word) {
    return to - from == word.length() && path.startsWith(word, from);
  }

  @Override
  public WireRequest readRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes) {
    Framing read = Framing.DOCUMENT;
    if (pathRead(request.encodedPath()).stream()) {
      read = asksForEvents(request.url()) ? Framing.EVENTS : Framing.ARRAY;
    }
    return new GeminiRequest(of(read), match, request, maxParsedBodyBytes);
  }

  /** Whether the URL's query holds {@code alt=sse}. */
  static boolean asksForEvents(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return false;
    }
    int end = url.indexOf('#', query);
    if (end < 0) {
      end = url.length();
    }
    // each pair between '&'s, compared where it lies (no substring, no split)
    for (int from = query + 1; from <= end; ) {
      int amp = url.indexOf('&', from);
      int to = amp < 0 || amp > end ? end : amp;
      if (to - from == ALT_SSE.length() && url.startsWith(ALT_SSE, from)) {
        return true;
      }
      from = to + 1;
    }
    return false;
  }

  private static final String ALT_SSE = "alt=sse";

  /**
   * {@inheritDoc}
   *
   * <p>Counted off the body's bytes ({@link GeminiPrompt#streamed}) when no stage built its tree,
   * else (or when the streaming read leaves it to the tree) on the tree: the same count.
   */
  @Override
  public long countPrompt(TokenCounter counter, WireRequest request) {
    if (!request.bodyUnderstood()) {
      return 0;
    }
    if (request instanceof TreeRequest tree && !tree.treeBuilt()) {
      long streamed = GeminiPrompt.streamed(counter, request.model(), request.rawBody());
      if (streamed >= 0) {
        return streamed;
      }
    }
    return GeminiPrompt.estimate(counter, request.model(), request.body());
  }

  /** The body's {@code contents} as OpenAI chat messages, when they are text only. */
  @Override
  public @Nullable ObjectNode semanticBody(WireRequest request) {
    return SemanticBodies.gemini(request.body());
  }

  /** Gemini reports usage in every stream without being asked. */
  @Override
  public boolean asksForStreamUsage() {
    return false;
  }

  /**
   * An event stream when its {@code Content-Type} says so; without one, when the call asked for
   * {@code alt=sse} (an array stream and a document are read as JSON).
   */
  @Override
  public boolean isStream(@Nullable String contentType, boolean streamRequested) {
    return SseBody.isEventStream(contentType, framing == Framing.EVENTS);
  }

  /**
   * An event stream, and (for a call without {@code alt=sse}) the JSON array stream: both are held
   * until their first event, the array's its first element ({@link HeldBody#holdFirstElement}).
   */
  @Override
  public boolean holdsFirstEvent(@Nullable String contentType, boolean streamRequested) {
    return framing == Framing.ARRAY || isStream(contentType, streamRequested);
  }

  /** An event stream until its first event; an array stream until its first element. */
  @Override
  public HeldBody holdFirstEvent(InputStream upstream, int maxBytes, @Nullable String contentType) {
    return isStream(contentType, false)
        ? HeldBody.holdFirstEvent(upstream, maxBytes)
        : HeldBody.holdFirstElement(upstream, maxBytes);
  }

  /** A document or an array stream, told apart by its first byte. */
  @Override
  public ObservedBody observeDocument(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes) {
    return new GeminiJsonBody(upstream, listener, callCanceled, maxCopyBytes);
  }

  @Override
  public ObservedBody observeStream(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      boolean hideUsage) {
    return new SseBody(upstream, listener, callCanceled, new GeminiResponses());
  }

  /**
   * Reads one {@code GenerateContentResponse} from {@code data[from, to)}: its {@code
   * modelVersion}, {@code usageMetadata} and candidates' text; a candidate's {@code finishReason}
   * or a blocked prompt marks the answer complete. Learns nothing from what is not a JSON object.
   * The text is learnt only while it may be needed ({@link ResponseReadout#textNeeded}) and only
   * from a response that reports no usage, unless the log keeps it: a response that reports usage
   * settles the call on it (a stream's later responses report it too, cumulatively), so its text
   * would never be counted ({@link ResponseReadout#text()}).
   */
  static void readResponse(ResponseReadout readout, byte[] data, int from, int to) {
    read(readout, data, from, to, readout.textNeeded(), false);
  }

  /**
   * Reads a whole {@code generateContent} document from {@code data[from, to)}, as {@link
   * #readResponse} does, but for its text: that is learnt only when the document reports no usage
   * or the log keeps the text (what {@link ResponseReadout#text()} promises of a document). The
   * document is parsed without its text first (the parser then skips the strings without decoding
   * them), and again with it only when it turns out to report no usage.
   */
  static void readDocument(ResponseReadout readout, byte[] data, int from, int to) {
    if (readout.keepsText() || !readout.textNeeded()) {
      readResponse(readout, data, from, to);
    } else if (!read(readout, data, from, to, false, true)) {
      read(readout, data, from, to, true, false);
    }
  }

  /**
   * Reads a response, its text only when {@code withText}; when {@code needUsage} and it reports no
   * usage, learns nothing and returns false (the caller reads it again with its text).
   */
  private static boolean read(
      ResponseReadout readout, byte[] data, int from, int to, boolean withText, boolean needUsage) {
    String model = null;
    Usage usage = null;
    boolean finished = false;
    StringBuilder text = withText ? new StringBuilder() : null;
    // With the text kept for the log: per candidate read, its index and the end of its text
    List<int[]> candidates = withText && readout.keepsText() ? new ArrayList<>() : null;
    try (JsonParser p = JSON.createParser(data, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return true;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "modelVersion" ->
              model =
                  value == JsonToken.VALUE_STRING && !sameText(p, readout.model())
                      ? p.getText()
                      : model; // every chunk names it: a new string only when it changes
          case "usageMetadata" ->
              usage = value == JsonToken.START_OBJECT ? readUsage(p, readout.usage()) : skip(p);
          case "candidates" ->
              finished |= value == JsonToken.START_ARRAY && readCandidates(p, text, candidates);
          case "promptFeedback" -> finished |= value == JsonToken.START_OBJECT && blocked(p);
          case "error" -> {
            // Google's error in place of a response: a stream that failed after its 200 ends so
            JsonNode error = value == JsonToken.START_OBJECT ? p.readValueAsTree() : null;
            if (error != null) {
              readout.noteErrorEvent(error);
            }
          }
          default -> p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      return true; // not a whole JSON object: nothing learnt, as for any other format
    }
    if (needUsage && usage == null) {
      return false;
    }
    readout.learnUsage(model, usage);
    if (candidates != null && text != null) {
      int start = 0;
      for (int[] candidate : candidates) {
        readout.appendChoiceText(candidate[0], text.subSequence(start, candidate[1]));
        start = candidate[1];
      }
    } else if (text != null && usage == null) {
      readout.appendText(text);
    }
    if (finished) {
      readout.markComplete();
    }
    return true;
  }

  /** Whether the parser's current string is {@code known}, compared without making a string. */
  private static boolean sameText(JsonParser p, @Nullable String known) throws IOException {
    if (known == null || p.getTextLength() != known.length()) {
      return false;
    }
    char[] chars = p.getTextCharacters();
    int offset = p.getTextOffset();
    for (int i = 0; i < known.length(); i++) {
      if (chars[offset + i] != known.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static @Nullable Usage skip(JsonParser p) throws IOException {
    p.skipChildren();
    return null;
  }

  /**
   * {@code usageMetadata} in the library's terms, or null when it holds no count. Counts that are
   * not whole numbers are read as absent; one beyond a {@code long} as {@link Long#MAX_VALUE} (then
   * capped as any count above {@link dev.aigateway.api.Usage#MAX_TOKENS}). A count written as a
   * string of digits ({@code "12"}, as the proto3 JSON mapping allows and Vertex AI writes some) is
   * that number ({@link UsageCounts#ofDigits}); other text is absent. Of the per-modality details,
   * the {@code AUDIO} and {@code IMAGE} counts of the prompt (and of tool-use prompts) are the
   * audio and image input tokens, and the {@code AUDIO} count of the candidates is the audio output
   * tokens; the {@code Usage} has no count of image output or of video, so those are in input and
   * output only. Returns {@code previous} itself when it holds the same counts (a stream repeats
   * its cumulative usage).
   */
  static @Nullable Usage readUsage(JsonParser p, @Nullable Usage previous) throws IOException {
    long prompt = 0;
    long candidates = 0;
    long thoughts = 0;
    long toolPrompt = 0;
    long cached = 0;
    long total = -1;
    // audio in, image in, audio out
    long[] modalities = null;
    boolean any = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.START_ARRAY) {
        int input =
            switch (field) {
              case "promptTokensDetails", "toolUsePromptTokensDetails" -> 0;
              case "candidatesTokensDetails" -> 2;
              default -> -1;
            };
        if (input < 0) {
          p.skipChildren();
        } else {
          modalities = readModalities(p, modalities, input);
        }
        continue;
      }
      long count;
      if (value == JsonToken.VALUE_NUMBER_INT) {
        count =
            p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                ? Math.max(0, UsageCounts.of(p.getBigIntegerValue()))
                : Math.max(0, p.getLongValue());
      } else if (value == JsonToken.VALUE_STRING) {
        count = UsageCounts.ofDigits(p.getText()); // the proto3 JSON mapping's "12"
        if (count < 0) {
          continue; // no count: absent
        }
      } else {
        p.skipChildren();
        continue;
      }
      switch (field) {
        case "promptTokenCount" -> prompt = count;
        case "candidatesTokenCount" -> candidates = count;
        case "thoughtsTokenCount" -> thoughts = count;
        case "toolUsePromptTokenCount" -> toolPrompt = count;
        case "cachedContentTokenCount" -> cached = count;
        case "totalTokenCount" -> total = count;
        default -> {
          continue;
        }
      }
      any = true;
    }
    return any
        ? usageOf(prompt, candidates, thoughts, toolPrompt, cached, total, modalities, previous)
        : null;
  }

  /**
   * {@link #usageOf(long, long, long, long, long, long, long[], Usage)} of the counts a byte walk
   * read, in {@link GeminiResponseWalk}'s order: prompt, candidates, thoughts, tool prompt, cached,
   * total.
   */
  static Usage usageOf(long[] counts, long @Nullable [] modalities, @Nullable Usage previous) {
    return usageOf(
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], modalities, previous);
  }

  /**
   * The usage of Gemini's counts ({@code total} -1 when not reported; {@code modalities} audio in,
   * image in, audio out, or null), as {@link #readUsage} describes it: {@code previous} itself when
   * it holds the same counts.
   */
  static Usage usageOf(
      long prompt,
      long candidates,
      long thoughts,
      long toolPrompt,
      long cached,
      long total,
      long @Nullable [] modalities,
      @Nullable Usage previous) {
    long input = TokenCounts.sum(prompt, toolPrompt);
    long output = TokenCounts.sum(candidates, thoughts);
    long totalTokens = total >= 0 ? total : TokenCounts.sum(input, output);
    long audioIn = modalities == null ? 0 : Math.min(modalities[0], input);
    long imageIn = modalities == null ? 0 : Math.min(modalities[1], input);
    long audioOut = modalities == null ? 0 : Math.min(modalities[2], output);
    Usage read =
        previous != null
                && previous.inputTokens() == input
                && previous.outputTokens() == output
                && previous.totalTokens() == totalTokens
                && previous.cachedInputTokens() == Math.min(cached, input)
                && previous.reasoningTokens() == Math.min(thoughts, output)
                && previous.cacheWriteInputTokens() == 0
                && previous.audioInputTokens() == audioIn
                && previous.audioOutputTokens() == audioOut
                && previous.imageInputTokens() == imageIn
            ? previous
            : null;
    return read != null
        ? read
        : new Usage(
            input,
            output,
            totalTokens,
            Math.min(cached, input),
            Math.min(thoughts, output),
            0,
            audioIn,
            audioOut,
            imageIn);
  }

  /**
   * Adds the {@code AUDIO} and {@code IMAGE} counts of a {@code ModalityTokenCount} array to {@code
   * counts[at]} and {@code counts[at + 1]} (image output is not counted apart: {@code at} 2 has no
   * image slot after it); {@code counts} is made at the first such count, and returned.
   */
  private static long @Nullable [] readModalities(JsonParser p, long @Nullable [] counts, int at)
      throws IOException {
    for (JsonToken element = p.nextToken();
        element != JsonToken.END_ARRAY;
        element = p.nextToken()) {
      if (element != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      int slot = -1;
      long count = 0;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("modality") && value == JsonToken.VALUE_STRING) {
          slot = sameText(p, "AUDIO") ? at : sameText(p, "IMAGE") && at == 0 ? 1 : -1;
        } else if (field.equals("tokenCount") && value == JsonToken.VALUE_NUMBER_INT) {
          count =
              p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                  ? Math.max(0, UsageCounts.of(p.getBigIntegerValue()))
                  : Math.max(0, p.getLongValue());
        } else if (field.equals("tokenCount") && value == JsonToken.VALUE_STRING) {
          count = Math.max(0, UsageCounts.ofDigits(p.getText()));
        } else {
          p.skipChildren();
        }
      }
      if (slot >= 0) {
        counts = counts == null ? new long[3] : counts;
        counts[slot] = TokenCounts.sum(counts[slot], count);
      }
    }
    return counts;
  }

  /**
   * Reads candidates' text into {@code text} (none when null), noting in {@code candidates} (when
   * not null) each candidate's index (its {@code index}, else its position) and where its text ends
   * in {@code text}; returns whether there is one and every one has a finish reason (with {@code
   * candidateCount} above 1, one candidate's finish does not end the others).
   */
  private static boolean readCandidates(
      JsonParser p, @Nullable StringBuilder text, @Nullable List<int[]> candidates)
      throws IOException {
    boolean finished = true;
    int position = 0;
    while (p.nextToken() == JsonToken.START_OBJECT) {
      int index = position++;
      boolean finish = false;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("finishReason")) {
          finish |= value == JsonToken.VALUE_STRING;
        } else if (text != null && field.equals("content") && value == JsonToken.START_OBJECT) {
          readContent(p, text);
        } else if (field.equals("index")
            && value == JsonToken.VALUE_NUMBER_INT
            && p.getNumberType() == JsonParser.NumberType.INT) {
          index = p.getIntValue();
        } else {
          p.skipChildren();
        }
      }
      finished &= finish;
      if (candidates != null && text != null) {
        candidates.add(new int[] {index, text.length()});
      }
    }
    return finished && position > 0;
  }

  private static void readContent(JsonParser p, StringBuilder text) throws IOException {
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      JsonToken value = p.nextToken();
      if (p.currentName().equals("parts") && value == JsonToken.START_ARRAY) {
        while (p.nextToken() == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            JsonToken part = p.nextToken();
            if (p.currentName().equals("text") && part == JsonToken.VALUE_STRING) {
              text.append(p.getText());
            } else {
              p.skipChildren();
            }
          }
        }
      } else {
        p.skipChildren();
      }
    }
  }

  private static boolean blocked(JsonParser p) throws IOException {
    boolean blocked = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      JsonToken value = p.nextToken();
      blocked |= p.currentName().equals("blockReason") && value == JsonToken.VALUE_STRING;
      p.skipChildren();
    }
    return blocked;
  }

  /**
   * Google's error shape, {@code {"error":{"code":429,"message":"…","status":"RESOURCE_EXHAUSTED",
   * "details":[…]}}}: the HTTP status as the code, the canonical status Google gives it (a spent
   * token rate or quota is {@code RESOURCE_EXHAUSTED}, a bad request {@code INVALID_ARGUMENT}, an
   * unknown model {@code NOT_FOUND}, no backend or token store {@code UNAVAILABLE}), and in its
   * details a {@code google.rpc.ErrorInfo} naming the gateway's reason, plus a {@code
   * google.rpc.BadRequest} naming the field at fault, if any.
   */
  @Override
  public byte[] errorBody(LocalError error) {
    RejectionReason reason = error.reason();
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("@type", "type.googleapis.com/google.rpc.ErrorInfo");
    info.put("reason", reason.name());
    info.put("domain", "ai-gateway");
    if (error.code() != null) {
      info.put("metadata", Map.of("code", error.code()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", reason.status());
    body.put("message", error.message());
    body.put("status", status(reason));
    body.put(
        "details",
        error.param() == null
            ? List.of(info)
            : List.of(
                info,
                Map.of(
                    "@type",
                    "type.googleapis.com/google.rpc.BadRequest",
                    "fieldViolations",
                    List.of(Map.of("field", error.param(), "description", error.message())))));
    try {
      return Json.MAPPER.writeValueAsBytes(Map.of("error", body));
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise a map of strings", e);
    }
  }

  /** The canonical status ({@code google.rpc.Code}) Google answers a refusal with. */
  static String status(RejectionReason reason) {
    return switch (reason) {
      case TOKEN_RATE_LIMIT, TOKEN_QUOTA -> "RESOURCE_EXHAUSTED";
      default ->
          switch (reason.status()) {
            case 400 -> "INVALID_ARGUMENT";
            case 401 -> "UNAUTHENTICATED";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 409 -> "ABORTED";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 501 -> "UNIMPLEMENTED";
            case 503 -> "UNAVAILABLE";
            case 504 -> "DEADLINE_EXCEEDED";
            default -> reason.status() >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
          };
    };
  }

  @Override
  public String errorContentType() {
    return JSON_TYPE;
  }

  /**
   * A cached answer in this call's framing: as stored when it was stored in it (byte for byte),
   * else converted between the three (a document becomes a one-element stream; an event stream
   * becomes an array and back); a stream is not merged into a document (a miss).
   */
  @Override
  public @Nullable Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage) {
    return GeminiReplay.replay(cached, framing);
  }

  /**
   * A candidate that did not end answered ({@code finishReason} other than {@code STOP} or {@code
   * MAX_TOKENS}): one Gemini's filters stopped ({@code SAFETY}, {@code RECITATION}, {@code
   * BLOCKLIST}, {@code PROHIBITED_CONTENT}, {@code SPII}, {@code MODEL_ARMOR}; an image model's
   * {@code IMAGE_SAFETY}, ...), its text partial or none, or one that failed ({@code
   * MALFORMED_FUNCTION_CALL}, {@code UNEXPECTED_TOOL_CALL}, {@code TOO_MANY_TOOL_CALLS}, {@code
   * OTHER}, ...); or a prompt the filters blocked ({@code promptFeedback.blockReason}), answered
   * with no candidate ({@link FailedAnswers#geminiFiltered}).
   */
  @Override
  public boolean failedAnswer(byte[] body, boolean stream) {
    return FailedAnswers.geminiFiltered(body, stream);
  }

  /**
   * An event stream with a candidate none of whose responses gave a {@code finishReason} (with
   * {@code candidateCount} above 1 each candidate finishes on its own; the stream has no other end
   * marker, and one that lost a candidate's last responses still ends as usual), or an event whose
   * data is not JSON, read in one pass ({@link UnfinishedAnswers#candidatesDefect}); a document or
   * array stream that is not JSON read whole ({@link UnfinishedAnswers#malformedDocument}): their
   * bounds are found by a scan that does not read them whole, so a document whose braces match ends
   * complete even when bytes inside it are not JSON.
   */
  @Override
  public @Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    if (eventStream) {
      return UnfinishedAnswers.candidatesDefect(body);
    }
    return UnfinishedAnswers.malformedDocument(body) ? AnswerDefect.MALFORMED : null;
  }

  /**
   * Gemini API (and any other flavour, taken to serve Gemini's protocol): {@code
   * {base}/v1beta/models/{model}:{method}} (a base ending in {@code /v1beta} or {@code /v1} used as
   * is); Vertex AI: {@code {base}/publishers/google/models/{model}:{method}}. A model naming its
   * collection ({@code tunedModels/x}, {@code endpoints/123}) is put under the base, each segment
   * encoded; one with an empty, {@code .} or {@code ..} segment is one model under {@code models/}
   * ({@link SafeUrls#modelPath}). The call's method and {@code alt=sse} are kept; nothing else of
   * the application's query is (an API key in {@code ?key=} does not travel to another backend).
   */
  @Override
  public String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel) {
    String model = targetModel == null ? "" : targetModel;
    String method =
        switch (framing) {
          case DOCUMENT -> GENERATE;
          case EVENTS -> STREAM + "?alt=sse";
          case ARRAY -> STREAM;
        };
    String path = model.indexOf('/') > 0 ? SafeUrls.modelPath(model) : null;
    if (flavor == BackendFlavor.VERTEX_AI) {
      return baseUrl
          + (path != null ? "/" + path : "/publishers/google/models/" + OpenAiFormat.encode(model))
          + method;
    }
    String base =
        baseUrl.endsWith("/v1beta") || baseUrl.endsWith("/v1") ? baseUrl : baseUrl + "/v1beta";
    return base + (path != null ? "/" + path : "/models/" + OpenAiFormat.encode(model)) + method;
  }

  /** Gemini API and Vertex AI backends, and OpenAI-compatible servers (proxies); no other. */
  @Override
  public boolean servedBy(BackendFlavor flavor) {
    return flavor == BackendFlavor.GEMINI
        || flavor == BackendFlavor.VERTEX_AI
        || flavor == BackendFlavor.OPENAI_COMPATIBLE;
  }

  @Override
  public String toString() {
    return name();
  }

  @Override
  public AnswerDocuments.Shape answerShape() {
    return AnswerDocuments.Shape.GEMINI;
  }

  /**
   * The texts content safety checks: the {@code text} of the parts of {@code contents[]} and of the
   * system instruction, by {@link PromptTexts.Shape#GEMINI}.
   */
  @Override
  public List<ContentText> promptTexts(WireRequest request) {
    ObjectNode body = request.bodyUnderstood() ? request.body() : null;
    return body == null ? List.of() : PromptTexts.of(body, PromptTexts.Shape.GEMINI);
  }

  @Override
  public List<List<String>> promptTextParts(WireRequest request) {
    ObjectNode body = request.bodyUnderstood() ? request.body() : null;
    return body == null ? List.of() : PromptTexts.parts(body, PromptTexts.Shape.GEMINI);
  }

  @Override
  public boolean readsPromptTexts() {
    return true;
  }

  @Override
  public int messageCount(WireRequest request) {
    ObjectNode body = request.bodyUnderstood() ? request.body() : null;
    return body == null ? 0 : PromptTexts.messageCount(body, PromptTexts.Shape.GEMINI);
  }

  @Override
  public byte @Nullable [] redactedBody(WireRequest request, UnaryOperator<String> redactor) {
    return PromptTexts.redact(request.rawBody(), PromptTexts.Shape.GEMINI, redactor);
  }

  @Override
  public @Nullable WireRequest withBody(WireRequest request, byte[] body) {
    return request instanceof GeminiRequest gemini ? gemini.withBody(body) : null;
  }

  /**
   * The text of each part of a streamed response's {@code candidates[].content.parts[]}, for its
   * candidate's {@code index} (a call asking for several, {@code candidateCount}, gets each its
   * own); thought summaries ({@code "thought": true}) are not answer text.
   */
  @Override
  public boolean readsEventTexts() {
    return true;
  }

  @Override
  public void eventText(byte[] data, int from, int to, EventTexts sink) {
    JsonNode event = Json.parseOrNull(data, from, to - from);
    JsonNode candidates = event == null ? null : event.get("candidates");
    if (candidates == null || !candidates.isArray()) {
      return;
    }
    for (JsonNode candidate : candidates) {
      for (JsonNode part : candidate.path("content").path("parts")) {
        JsonNode text = part.get("text");
        if (text != null && text.isTextual() && !part.path("thought").asBoolean(false)) {
          sink.text(candidate.path("index").asInt(0), text.textValue());
        }
      }
    }
  }
}
