package dev.aigateway.core.wire;

import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The wire formats a gateway reads, and the choice of one per call. Recognition switches on the
 * last segment of the request's path (a trailing slash ignored): only the formats registered for
 * that segment are asked to {@link WireFormat#recognise recognise} the request, the one added last
 * first, so the cost grows with the few distinct endings, not with the formats. An ending that
 * starts with a colon ({@code :generateContent}) is a method ending: it stands for every last
 * segment whose text from its last colon on is the ending ({@code
 * gemini-2.5-flash:generateContent}), as Google's APIs put a resource name and a method in one
 * segment. Immutable and thread-safe.
 *
 * <pre>{@code
 * WireFormats formats = WireFormats.defaults().with(myFormat);  // myFormat is asked first
 * CallMatch match = formats.recognise("POST", "/v1/chat/completions", headers::get);
 * WireFormat format = formats.formatFor(match, clientRequest);
 * }</pre>
 */
public final class WireFormats {

  private static final WireFormats DEFAULTS =
      new WireFormats(
          List.of(
              OpenAiChatFormat.INSTANCE,
              OpenAiCompletionsFormat.INSTANCE,
              OpenAiEmbeddingsFormat.INSTANCE,
              OpenAiResponsesFormat.INSTANCE,
              BedrockConverseFormat.CONVERSE,
              BedrockConverseFormat.CONVERSE_STREAM,
              BedrockAnthropicFormat.INVOKE,
              BedrockAnthropicFormat.INVOKE_STREAM,
              BedrockInvokeFormat.INVOKE,
              BedrockInvokeFormat.INVOKE_STREAM,
              VertexAnthropicFormat.RAW_PREDICT,
              VertexAnthropicFormat.STREAM_RAW_PREDICT,
              GeminiFormat.INSTANCE,
              AnthropicMessagesFormat.INSTANCE));

  private final List<WireFormat> formats;

  /**
   * The distinct endings (last path segments, or method endings such as {@code :generateContent}),
   * and per ending the formats that end in it, in order.
   */
  private final String[] endings;

  private final WireFormat[][] byEnding;

  /**
   * Per ending, whether only the library's OpenAI formats end in it: such a request is recognised
   * by the one OpenAI path match, as if no other format were registered.
   */
  private final boolean[] openAiEnding;

  private WireFormats(List<WireFormat> formats) {
    this.formats = List.copyOf(formats);
    Map<String, List<WireFormat>> grouped = new LinkedHashMap<>();
    for (WireFormat format : this.formats) {
      List<String> endings = format.pathEndings();
      if (endings == null || endings.isEmpty()) {
        throw new IllegalArgumentException(
            "wire format " + format.name() + " names no path ending; it could never be recognised");
      }
      for (String ending : endings) {
        if (ending.isEmpty()
            || ending.indexOf('/') >= 0
            || ending.lastIndexOf(':') > 0
            || ending.equals(":")) {
          throw new IllegalArgumentException(
              "wire format "
                  + format.name()
                  + " has path ending '"
                  + ending
                  + "': an ending is one non-empty path segment, without '/', or a method ending"
                  + " ':method' with no other colon");
        }
        grouped.computeIfAbsent(ending, e -> new ArrayList<>()).add(format);
      }
    }
    this.endings = grouped.keySet().toArray(String[]::new);
    this.byEnding =
        grouped.values().stream()
            .map(l -> l.toArray(WireFormat[]::new))
            .toArray(WireFormat[][]::new);
    this.openAiEnding = new boolean[byEnding.length];
    for (int i = 0; i < byEnding.length; i++) {
      openAiEnding[i] = Arrays.stream(byEnding[i]).allMatch(f -> f instanceof OpenAiFormat);
    }
  }

  /**
   * The library's formats: OpenAI chat completions, completions, embeddings and the Responses API
   * (each also reading Azure OpenAI's and Azure AI Foundry's paths); Amazon Bedrock's Converse,
   * ConverseStream, InvokeModel and InvokeModelWithResponseStream; Google Gemini's {@code
   * generateContent} and {@code streamGenerateContent} (Gemini API and Vertex AI); Anthropic's
   * Messages API, also on Bedrock's InvokeModel for Claude models (asked before the generic
   * InvokeModel format) and on Vertex AI's {@code rawPredict} and {@code streamRawPredict}.
   */
  public static WireFormats defaults() {
    return DEFAULTS;
  }

  /**
   * These formats plus {@code format}, which is asked before them for requests that end in one of
   * its {@link WireFormat#pathEndings() path endings}.
   */
  public WireFormats with(WireFormat format) {
    Objects.requireNonNull(format, "format");
    List<WireFormat> all = new ArrayList<>(formats.size() + 1);
    all.add(format);
    all.addAll(formats);
    return new WireFormats(all);
  }

  /** The registered formats, in the order they are asked. */
  public List<WireFormat> formats() {
    return formats;
  }

  /**
   * What a request is, as the first format that recognises it says; null when none does (the
   * request passes through ungoverned).
   *
   * @param headers the request's headers by name, null when absent
   */
  public @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers) {
    PathEnding known = known(path);
    if (known.openAiOnly()) {
      // What the OpenAI formats recognise depends on the method and the path alone: told once
      // per path for POST (the only method they take), not worked out again per call.
      return "POST".equals(method) ? known.openAiMatch() : null;
    }
    int ending = known.ending();
    if (ending < 0) {
      return null;
    }
    for (WireFormat format : byEnding[ending]) {
      CallMatch match = format.recognise(method, path, headers);
      if (match != null) {
        return match;
      }
    }
    return null;
  }

  /**
   * The format of a call matched as {@code match} (by {@link #recognise} or by an application's own
   * {@code CallMatcher}): the first format registered for the request path's ending that carries
   * the match's operation and recognises the request, else the OpenAI format of that operation,
   * Anthropic's for {@link Operation#MESSAGES} or Gemini's for {@link Operation#GENERATE_CONTENT}
   * (an application's matcher may name any path).
   */
  public WireFormat formatFor(CallMatch match, ClientRequest request) {
    Operation operation = match.operation();
    String path = request.encodedPath();
    int ending = ending(path);
    if (ending >= 0 && !openAiEnding[ending]) {
      for (WireFormat format : byEnding[ending]) {
        if (format.operation() == operation
            && format.recognise(request.method(), path, request::header) != null) {
          return format;
        }
      }
    }
    return switch (operation) {
      case MESSAGES -> AnthropicMessagesFormat.INSTANCE;
      case GENERATE_CONTENT -> GeminiFormat.INSTANCE;
      default -> OpenAiFormat.of(operation);
    };
  }

  /**
   * The index of the ending of {@code path}: its last segment, else its method ending (from its
   * last colon on); -1 when none is registered.
   */
  private int ending(String path) {
    return known(path).ending();
  }

  /**
   * What is known of {@code path} whatever the call's method and headers: its ending, and whether
   * only the library's OpenAI formats take it, with what they match it as for {@code POST}. Kept
   * for the last path asked ({@link #lastEnding}), which the calls to one endpoint share.
   */
  private PathEnding known(String path) {
    PathEnding last = lastEnding;
    if (last != null && last.path().equals(path)) {
      return last;
    }
    int ending = endingOf(path);
    boolean openAiOnly = ending >= 0 && openAiEnding[ending];
    PathEnding known =
        new PathEnding(
            path, ending, openAiOnly, openAiOnly ? OpenAiFormat.PATHS.match("POST", path) : null);
    lastEnding = known;
    return known;
  }

  /**
   * A path, the index of its ending (-1 when none is registered), whether only the OpenAI formats
   * take it, and then what they match it as for {@code POST} (the OpenAI matcher is a function of
   * the method and the path alone).
   */
  private record PathEnding(
      String path, int ending, boolean openAiOnly, @Nullable CallMatch openAiMatch) {}

  /**
   * The last path whose ending was looked up, kept so that recognising a call and choosing its
   * format, and the next calls to the same path, do not cut, compare and match the path again.
   * Immutable, so that threads that read it see a whole one.
   */
  private volatile @Nullable PathEnding lastEnding;

  /** {@link #ending}, looked up. */
  private int endingOf(String path) {
    int end = path.length();
    if (end > 0 && path.charAt(end - 1) == '/') {
      end--;
    }
    int start = path.lastIndexOf('/', end - 1) + 1;
    int segment = endingAt(path, start, end);
    if (segment >= 0) {
      return segment;
    }
    int colon = path.lastIndexOf(':', end - 1);
    // no method ending when the colon starts the segment (':method' alone names no resource)
    if (colon > start) {
      return endingAt(path, colon, end);
    }
    // the colon percent-encoded (%3A), as some clients write it and Google reads it
    int encoded = encodedColon(path, start, end);
    return encoded > start ? methodEndingAt(path, encoded + 3, end) : -1;
  }

  /**
   * Where the last percent-encoded colon ({@code %3A} or {@code %3a}) of {@code path[from, to)}
   * begins, or -1.
   */
  static int encodedColon(String path, int from, int to) {
    for (int i = to - 3; i >= from; i--) {
      if (path.charAt(i) == '%'
          && path.charAt(i + 1) == '3'
          && (path.charAt(i + 2) == 'A' || path.charAt(i + 2) == 'a')) {
        return i;
      }
    }
    return -1;
  }

  /** The index of the method ending ({@code :method}) whose method is {@code path[from, to)}. */
  private int methodEndingAt(String path, int from, int to) {
    int length = to - from;
    for (int i = 0; i < endings.length; i++) {
      String ending = endings[i];
      if (ending.length() == length + 1
          && ending.charAt(0) == ':'
          && path.regionMatches(from, ending, 1, length)) {
        return i;
      }
    }
    return -1;
  }

  /** The index of the ending that is {@code path[from, to)}, or -1. */
  private int endingAt(String path, int from, int to) {
    int length = to - from;
    for (int i = 0; i < endings.length; i++) {
      String ending = endings[i];
      if (ending.length() == length && path.regionMatches(from, ending, 0, length)) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public String toString() {
    return "WireFormats" + Arrays.toString(formats.stream().map(WireFormat::name).toArray());
  }
}
