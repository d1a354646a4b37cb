package dev.aigateway.core.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.Usage;
import dev.aigateway.core.tokens.TokenCounts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the gateway learns from a response body as it passes: the reported usage (if any), the
 * answering model and the generated text (to estimate output tokens when no usage comes). Filled by
 * one reader thread; read after the body ended.
 *
 * <p>Bodies are read with Jackson's streaming parser straight from their bytes: only the members
 * named here are looked at, everything else is skipped, and only a {@code usage} object becomes a
 * tree. A body that is not a JSON object teaches nothing, not even in part.
 *
 * <p>A chat stream chunk that certainly carries no usage ({@link ChatChunkScanner}: nearly all of
 * them) is not parsed as it passes: its model is taken from its bytes and the chunk is kept ({@link
 * #deferChunk}), to be read for its text when the stream ended only if the text is needed then:
 * when no usage came, or to log it.
 */
public final class ResponseReadout {

  private static final JsonFactory JSON = Json.MAPPER.getFactory();

  private Usage usage;

  /** Usage reported after {@link #usage}, not made yet ({@link #learnUsageLater}); or null. */
  private LaterUsage later;

  private String model;

  /** The generated text read so far; null until some is (most calls never need it). */
  private StringBuilder text;

  /**
   * ASCII text read after {@link #text}, its bytes copied as they came ({@link #appendJsonString}):
   * made into characters only if the text is asked for, or before other text is appended; null
   * until some is.
   */
  private byte[] asciiTail;

  /** How many bytes of {@link #asciiTail} are text. */
  private int asciiTailLength;

  private boolean keepText;

  /**
   * With the text kept ({@link #keepText}), the text of each further answer of a call that asks for
   * several ({@code n}): answer {@code i}'s at {@code i - 1}, {@link #text} holding the first's;
   * null until one is read.
   */
  private List<StringBuilder> otherChoices;

  /** The highest choice index kept apart (OpenAI's {@code n} is at most 128). */
  private static final int MAX_CHOICE = 128;

  private boolean complete;

  /** Whether the document read is a response still to be generated ({@link #answerPending}). */
  private boolean answerPending;

  /** The {@code id} of the response still to be generated, or null ({@link #pendingId}). */
  private String pendingId;

  /** Whether the body reported an error ({@link #errorAnswer}). */
  private boolean errorAnswer;

  /** The status the first error object the body reported stands for; 0 when none was read. */
  private int errorAnswerStatus;

  /** Whether the provider's content filter cut the answer off ({@link #contentFiltered}). */
  private boolean contentFiltered;

  /** Chat chunks whose text is not read yet; null when none. */
  private DeferredChunks deferred;

  /** Whether the deferred chunks overflowed, so that every chunk is now read at once. */
  private boolean readsChunksAtOnce;

  /**
   * The usage a stream reported at its start, before the usage it ends with (Anthropic's {@code
   * message_start}: the input counts, prompt-cache reads and writes included); null when none was.
   * Its input counts stand for a stream cut before its final usage ({@link #usage()} null), whose
   * output is then estimated.
   */
  public @Nullable Usage startUsage() {
    return startUsage;
  }

  /** Keeps the usage a stream reported at its start ({@link #startUsage}). */
  void learnStartUsage(Usage reported) {
    startUsage = reported;
  }

  private @Nullable Usage startUsage;

  /** The usage the body reported, or null when it reported none. */
  public Usage usage() {
    if (later != null) {
      settleLater();
    }
    return usage;
  }

  /**
   * Usage whose counts a stream reader has read but not yet made into a {@link Usage}: a stream
   * that repeats its cumulative counts in every event makes one usage, when it is asked for,
   * instead of one per event.
   */
  interface LaterUsage {

    /** The usage of the counts read, {@code previous} being the usage known before them. */
    Usage usage(Usage previous);
  }

  /**
   * Keeps {@code counts} as the usage reported last, once usage is known ({@link #usage()} not
   * null): made when the usage is asked for or the stream ends, unless usage learnt later replaces
   * it. The reader may change the counts until then (each event's replacing the last's), on the
   * reading thread.
   */
  void learnUsageLater(LaterUsage counts) {
    later = counts;
  }

  private void settleLater() {
    LaterUsage counts = later;
    later = null;
    usage = counts.usage(usage);
  }

  /**
   * The answering model: the last one named (in a stream, by the last chunk naming one; an empty
   * name is none).
   */
  public String model() {
    return model;
  }

  /**
   * The generated text, to estimate output tokens with when no usage was reported: for a stream,
   * every chunk's text when no usage was reported or the text is kept ({@link #keepText}), else
   * possibly only part of it; for a JSON document, its text only when the document reports no usage
   * or the text is kept.
   */
  public CharSequence text() {
    CharSequence first = firstText();
    if (otherChoices == null) {
      return first;
    }
    StringBuilder all = new StringBuilder(first);
    for (StringBuilder other : otherChoices) {
      if (other != null) {
        all.append(other);
      }
    }
    return all;
  }

  /**
   * The generated text as the prompt log records it, once the body was read with the text kept
   * ({@link #keepText}): as {@link #text()}, except that a call answered with several choices
   * ({@code n}) has each choice's text whole, in the order of their indexes, a blank line ({@code
   * "\n\n"}) between two, however their chunks interleaved in a stream.
   */
  public String completion() {
    String first = firstText().toString();
    if (otherChoices == null) {
      return first;
    }
    StringBuilder all = new StringBuilder(first);
    for (StringBuilder other : otherChoices) {
      all.append("\n\n");
      if (other != null) {
        all.append(other);
      }
    }
    return all.toString();
  }

  /** The text read so far but the further choices' kept apart ({@link #otherChoices}). */
  private CharSequence firstText() {
    if (asciiTailLength == 0) {
      return text == null ? "" : text;
    }
    // the ASCII tail made into characters without changing what was read (a reader may ask twice)
    String tail = new String(asciiTail, 0, asciiTailLength, StandardCharsets.ISO_8859_1);
    return text == null
        ? tail
        : new StringBuilder(text.length() + tail.length()).append(text).append(tail);
  }

  /**
   * With the text kept, moves the text read since {@code from} (a length of the text) to choice
   * {@code index}'s own text when it is a further choice's ({@link #otherChoices}).
   */
  private void keepApart(int index, int from) {
    if (!keepText || index <= 0 || index > MAX_CHOICE || textLength() == from) {
      return;
    }
    StringBuilder read = textBuilder();
    if (otherChoices == null) {
      otherChoices = new ArrayList<>();
    }
    while (otherChoices.size() < index) {
      otherChoices.add(null);
    }
    StringBuilder choice = otherChoices.get(index - 1);
    if (choice == null) {
      choice = new StringBuilder();
      otherChoices.set(index - 1, choice);
    }
    choice.append(read, from, read.length());
    read.setLength(from);
  }

  /** The text being built, made at the first text read, the ASCII tail appended to it first. */
  private StringBuilder textBuilder() {
    if (text == null) {
      text = new StringBuilder();
    }
    if (asciiTailLength > 0) {
      text.ensureCapacity(text.length() + asciiTailLength);
      for (int i = 0; i < asciiTailLength; i++) {
        text.append((char) asciiTail[i]);
      }
      asciiTailLength = 0;
    }
    return text;
  }

  /** How long the text read so far is. */
  private int textLength() {
    return (text == null ? 0 : text.length()) + asciiTailLength;
  }

  /**
   * Whether the body carried its end marker ({@code [DONE]}, {@code response.completed} or {@code
   * response.incomplete}, or a whole JSON document); a {@code response.failed} event is none.
   */
  public boolean complete() {
    return complete;
  }

  /** Marks the body complete: its end marker, or the whole document, was read. */
  public void markComplete() {
    complete = true;
  }

  /** Appends generated text, to estimate output tokens with when no usage is reported. */
  public void appendText(CharSequence generated) {
    textBuilder().append(generated);
  }

  /**
   * Appends the generated text of choice {@code index} (a candidate's), kept apart from the first
   * choice's when the text is kept and it is a further one ({@link #completion()}).
   */
  void appendChoiceText(int index, CharSequence generated) {
    int from = textLength();
    appendText(generated);
    keepApart(index, from);
  }

  /**
   * Appends the JSON string {@code json[quote, end)} (its quotes included, as {@link StrictJson}
   * accepted it) as generated text: its characters straight from the bytes when they are ASCII
   * without escapes, as nearly all of a model's deltas are; else decoded by Jackson.
   */
  void appendJsonString(byte[] json, int quote, int end) {
    int last = end - 1;
    // An accepted string has no quote before its last byte: any byte found is a backslash or not
    // ASCII. Found eight bytes a step.
    if (StrictJson.quoteBackslashOrHigh(json, quote + 1, last) != last) {
      appendText(Json.stringOrEmpty(json, quote, end - quote));
      return;
    }
    // ASCII without escapes: its bytes are its characters, copied as they are
    int length = last - quote - 1;
    byte[] tail = asciiTail;
    if (tail == null || tail.length - asciiTailLength < length) {
      tail =
          Arrays.copyOf(
              tail == null ? new byte[0] : tail,
              Math.max(asciiTailLength + length, Math.max(16, 2 * asciiTailLength)));
      asciiTail = tail;
    }
    System.arraycopy(json, quote + 1, tail, asciiTailLength, length);
    asciiTailLength += length;
  }

  /** Keeps the whole text even when usage is reported (for the prompt log). */
  void keepText() {
    keepText = true;
  }

  /** Whether the whole text is kept even when usage is reported ({@link #keepText}). */
  boolean keepsText() {
    return keepText;
  }

  /**
   * Whether more text is still worth reading: no usage was reported yet (the text may be needed to
   * estimate output tokens), or the whole text is kept.
   */
  boolean textNeeded() {
    return usage == null || keepText;
  }

  /**
   * Reads a whole non-streamed response document from {@code doc[from, to)}: its top-level {@code
   * model} and {@code usage}, and, only when it reports no usage, its text. Returns false, having
   * learnt nothing, when it is not a JSON object.
   */
  boolean readDocument(byte[] doc, int from, int to) {
    if (readDocumentBytes(doc, from, to)) {
      return true;
    }
    ModelAndUsage read;
    try (JsonParser p = JSON.createParser(doc, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      read = readModelAndUsage(p);
    } catch (IOException | RuntimeException e) {
      return false;
    }
    // An error reported beside usage (a Responses API response that failed reports the usage it
    // was billed, with its error): no answer either.
    errorAnswer |= read.reportsError();
    if (!learn(read.model(), read.usage()) || keepText) {
      // Rare: the text is needed (to estimate, or to log), so read the document again, whole.
      JsonNode tree = Json.parseOrNull(doc, from, to - from);
      appendDocumentText(tree);
      answerPending = read.usage() == null && isPendingResponse(tree);
      if (answerPending && tree.path("id").isTextual() && !tree.path("id").textValue().isEmpty()) {
        pendingId = tree.path("id").textValue();
      }
    }
    complete = true;
    return true;
  }

  /**
   * Whether the whole document read is a Responses API answer still to be generated: a background
   * response ({@code "background": true}) answered {@code status} {@code queued} or {@code
   * in_progress}, with no output and {@code usage} null yet (the output and its usage come later,
   * to a {@code GET} of the response). It is no answer to store in the response cache, and its
   * output is estimated as the call's whole allowance.
   */
  public boolean answerPending() {
    return answerPending;
  }

  /**
   * The {@code id} of the response still to be generated ({@link #answerPending}), by which a later
   * poll of it is known; null when the answer is not pending or names no id.
   */
  public String pendingId() {
    return pendingId;
  }

  /**
   * Whether the body reported an error, though its status said success: a whole document that has a
   * top-level {@code error} object, whether or not it reports usage (the shape in which OpenAI,
   * Azure OpenAI, Gemini and Anthropic, {@code {"type":"error","error":{...}}}, write their
   * errors), or a chat or completions stream with an event holding a top-level {@code error} object
   * (vLLM and other OpenAI-compatible servers report a failure during a stream so, then send {@code
   * [DONE]} as usual), or a whole Responses API document whose {@code status} is {@code failed} or
   * {@code cancelled} (it reports the usage it was billed, with its {@code error}), or a Responses
   * API stream with an error event or a {@code response.failed} event. Some OpenAI-compatible
   * services and proxies answer an error with a 200. It is no answer to store in the response
   * cache.
   */
  public boolean errorAnswer() {
    return errorAnswer;
  }

  /**
   * Whether the provider's content filter cut the answer off, as an answer in OpenAI's shapes says
   * so: a choice finished {@code content_filter}, or a Responses API response incomplete for that
   * reason ({@link FailedAnswers#filtered(byte[], int, int)}), in the document or in a stream's
   * event. The call's event reports it ({@code GatewayEvent.contentFiltered()}).
   */
  public boolean contentFiltered() {
    return contentFiltered;
  }

  /**
   * Notes whether the JSON document or stream event {@code data[from, to)} says the provider's
   * content filter cut the answer off ({@link #contentFiltered}); once it did, nothing more is
   * read.
   */
  void noteIfFiltered(byte[] data, int from, int to) {
    if (!contentFiltered) {
      contentFiltered = FailedAnswers.filtered(data, from, to);
    }
  }

  /**
   * The status the error the body reported ({@link #errorAnswer}) stands for, as a held stream's
   * first error event's ({@link HeldBody#firstEventErrorStatus}): the error object's {@code code}
   * or {@code status} when that is one, else the status its type names; 500 when the body reported
   * an error that names none, and 0 when it reported no error.
   */
  public int errorAnswerStatus() {
    return !errorAnswer ? 0 : errorAnswerStatus != 0 ? errorAnswerStatus : 500;
  }

  /**
   * Notes a stream's error event ({@link #errorAnswer}) whose {@code error} object is {@code
   * error}, with the status it stands for; nothing when {@code error} is not an object.
   */
  void noteErrorEvent(JsonNode error) {
    if (error != null && error.isObject()) {
      errorAnswer = true;
      noteErrorStatus(error);
    }
  }

  /** Notes the status the error object {@code error} stands for, unless one was noted before. */
  private void noteErrorStatus(JsonNode error) {
    if (errorAnswerStatus == 0 && error != null && error.isObject()) {
      errorAnswerStatus = HeldBody.errorStatus(error);
    }
  }

  /**
   * Notes whether the whole document {@code doc[from, to)}, just read, is an error document ({@link
   * #errorAnswer}): only when it reported no usage, so an answer, which reports usage, is never
   * looked at again. The top-level members are read with Jackson's streaming parser, each value but
   * {@code error} skipped.
   */
  void noteIfErrorDocument(byte[] doc, int from, int to) {
    if (usage != null || later != null) {
      return;
    }
    try (JsonParser p = JSON.createParser(doc, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return;
      }
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        if (p.nextToken() == JsonToken.START_OBJECT && name.equals("error")) {
          errorAnswer = true;
          noteErrorStatus(p.readValueAsTree());
          return;
        }
        p.skipChildren();
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: no error document either (nothing was learnt from it)
    }
  }

  private static boolean isPendingResponse(JsonNode doc) {
    if (doc == null || !"response".equals(doc.path("object").textValue())) {
      return false;
    }
    String status = doc.path("status").textValue();
    return "queued".equals(status) || "in_progress".equals(status);
  }

  /**
   * Reads a document as {@link #readDocument} does, without a parser, when it reports usage in
   * plain form and its text is not needed ({@link TopLevelMembers}, {@link UsageBytes}); returns
   * false, having learnt nothing, for any other document.
   */
  private boolean readDocumentBytes(byte[] doc, int from, int to) {
    return readPlainDocument(doc, from, to, null);
  }

  /**
   * Reads what {@link #readDocument} learns from {@code doc[from, to)} when it reads it without a
   * parser (a whole JSON object reporting usage in plain form, its text not needed); returns false,
   * having read nothing, for any other document. With a {@code holder}, what was read is handed to
   * it ({@link JsonBody#holdPlain}), to be learnt later ({@link #learnPlain}), instead of being
   * learnt now, and whether the document says a content filter cut it off is noted at once ({@link
   * #noteIfFiltered}, searched only when the walk did not already tell). The text must be needed or
   * not ({@link #keepText}) by now.
   */
  boolean readPlainDocument(byte[] doc, int from, int to, @Nullable JsonBody holder) {
    if (keepText || to - from > StrictJson.MAX_LENGTH) {
      return false;
    }
    TopLevelMembers top = new TopLevelMembers(StrictJson.NOT_NOTING, false); // one object read
    if (!top.walk(doc, from, to) || top.usages() == 0 || doc[top.lastUsage()] != '{') {
      return false;
    }
    Usage read = top.usage(doc, top.lastUsage(), to);
    if (read == UsageBytes.UNREAD || read == null) {
      return false;
    }
    if (holder != null) {
      holder.holdPlain(top.model(), read);
      if (top.mayBeFiltered(doc, from, to)) {
        noteIfFiltered(doc, from, to); // nearly never: no value of the answer says content_filter
      }
    } else {
      learnPlain(top.model(), read);
    }
    return true;
  }

  /**
   * Learns a whole document's model (null when it names none) and usage, read from its bytes by
   * {@link #readPlainDocument}, as {@link #readDocument} does.
   */
  void learnPlain(@Nullable String model, Usage usage) {
    learnUsage(model, usage);
    complete = true;
  }

  /**
   * Reads one chat or completions stream chunk from {@code data[from, to)}, noting its top-level
   * {@code usage} and {@code choices} in {@code member}. Returns false, having learnt nothing, when
   * the data is not a JSON object.
   */
  boolean readChunk(byte[] data, int from, int to, UsageMember member) {
    return readChunk(data, from, to, member, true);
  }

  /**
   * Whether a chat chunk that carries no usage may be kept to read later ({@link #deferChunk}):
   * unless the deferred chunks overflowed.
   */
  boolean defersChunks() {
    return !readsChunksAtOnce;
  }

  /**
   * Learns the model of the chat chunk {@code data[from, to)}, which carries no usage (no top-level
   * usage but null ones) and names {@code chunkModel} (as {@link #readChunk} would read it), and
   * keeps the chunk, to read its text only if it is needed when the stream ended ({@link
   * #streamEnded}); its first {@code sharedStart} and last {@code sharedEnd} bytes are known to be
   * those of the chunk deferred before (0 when not known). Returns false, having learnt nothing,
   * when the deferred chunks would overflow: the chunks kept so far are then read, and this chunk
   * and every later one must be read at once.
   */
  boolean deferChunk(
      byte[] data, int from, int to, String chunkModel, int sharedStart, int sharedEnd) {
    if (deferred == null) {
      deferred = DeferredChunks.take();
    }
    if (deferred.add(data, from, to, textLength(), sharedStart, sharedEnd)) {
      learn(chunkModel, null);
      return true;
    }
    readDeferred();
    readsChunksAtOnce = true;
    return false;
  }

  /**
   * Once a stream ended, before the readout is reported: reads the text of the chunks kept, if the
   * text is needed (no usage came, or it is kept for the log), and lets them go.
   */
  void streamEnded() {
    streamEnded(false);
  }

  /**
   * As {@link #streamEnded()}; with {@code readToEnd}, the stream was read to its end by the thread
   * that read it (no read of it can still be under way), so the chunks kept are given back for
   * another stream once their text is read.
   */
  void streamEnded(boolean readToEnd) {
    if (later != null) {
      settleLater();
    }
    DeferredChunks kept = deferred;
    if (usage == null || keepText) {
      readDeferred();
    }
    deferred = null;
    if (readToEnd && kept != null) {
      kept.giveBack();
    }
  }

  /** Reads the kept chunks' text, each put where it would have gone had it been read at once. */
  private void readDeferred() {
    DeferredChunks kept = deferred;
    deferred = null;
    if (kept == null || kept.count() == 0) {
      return;
    }
    // The text of chunks read at once since the first one was kept; usually none.
    int base = kept.textAt(0);
    StringBuilder text = textBuilder();
    String later = text.substring(base);
    text.setLength(base);
    int placed = base;
    UsageMember ignored = new UsageMember();
    for (int i = 0; i < kept.count(); i++) {
      text.append(later, placed - base, kept.textAt(i) - base);
      placed = kept.textAt(i);
      kept.rebuildNext();
      readChunk(kept.chunk(), 0, kept.chunkLength(), ignored, false);
    }
    text.append(later, placed - base, later.length());
  }

  /** Reads a chunk as {@link #readChunk}; only its text when {@code learn} is false. */
  private boolean readChunk(byte[] data, int from, int to, UsageMember member, boolean learn) {
    member.clear();
    int textLength = textLength();
    try (JsonParser p = JSON.createParser(data, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      String chunkModel = null;
      JsonNode chunkUsage = null;
      boolean chunkError = false;
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        switch (name) {
          case "model" -> chunkModel = nextText(p, model);
          case "usage" -> {
            p.nextToken();
            member.note(p, data, from, to);
            chunkUsage = currentObject(p);
          }
          case "choices" -> member.noteChoices(readChoices(p));
          case "error" -> {
            chunkError = nextObject(p); // an error object: noted with the status it stands for
            if (chunkError) {
              noteErrorStatus(p.readValueAsTree());
            }
          }
          default -> skipNext(p);
        }
      }
      errorAnswer |= chunkError;
      if (learn) {
        learn(chunkModel, chunkUsage);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      if (textLength() != textLength) {
        textBuilder().setLength(textLength);
      }
      member.clear();
      return false;
    }
  }

  /**
   * Reads one Responses API stream event from {@code data[from, to)}: the text of {@code *.delta}
   * events (not the base64 of {@code response.audio.delta}), the response's model and usage from
   * {@code response.created} and from the events that end a response. {@code response.completed}
   * and {@code response.incomplete} mark the body complete; {@code response.failed} does not, and
   * is an {@linkplain #errorAnswer error answer} as a failed response answered whole is (its
   * response's {@code status} {@code failed}, or its {@code error} object; the status it stands for
   * that error's), charged the usage it reports and not cached; so is the stream's error event
   * ({@code "type":"error"}, its {@code code} and {@code message} at the top level, as the first
   * event of a held stream is read: {@link HeldBody#firstEventErrorStatus}). Returns false, having
   * learnt nothing, when the data is not a JSON object.
   */
  boolean readResponsesEvent(byte[] data, int from, int to) {
    String type = null;
    String delta = null;
    ModelAndUsage response = null;
    JsonNode code = null;
    try (JsonParser p = JSON.createParser(data, from, to - from)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        switch (name) {
          case "type" -> type = nextText(p, null);
          case "delta" -> delta = nextText(p, null);
          case "response" -> response = nextObject(p) ? readModelAndUsage(p) : null;
          case "code" -> {
            JsonToken value = p.nextToken();
            code = value != null && value.isScalarValue() ? p.readValueAsTree() : null;
            p.skipChildren();
          }
          default -> skipNext(p);
        }
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
    if (type == null) {
      return true;
    }
    if (type.equals("error")) {
      // The stream's error event: its code names the status it stands for.
      ObjectNode error = Json.MAPPER.createObjectNode().put("type", "error");
      if (code != null) {
        error.set("code", code);
      }
      noteErrorEvent(error);
    } else if (type.endsWith(".delta")) {
      // the audio's base64 is no text (its transcript comes in response.audio.transcript.delta)
      if (delta != null && !type.equals("response.audio.delta")) {
        textBuilder().append(delta);
      }
    } else if (type.equals("response.completed") || type.equals("response.incomplete")) {
      learnFrom(response);
      complete = true;
      if (type.equals("response.incomplete")) {
        noteIfFiltered(data, from, to); // incomplete_details.reason: content_filter
      }
    } else if (type.equals("response.failed") || type.equals("response.created")) {
      // A failed response reports what it used, but is no answer: its stream has no end marker.
      learnFrom(response);
      if (type.equals("response.failed")) {
        errorAnswer = true; // the event says the response failed, whatever its members say
        noteErrorStatus(response != null ? response.error() : null);
      }
    }
    return true;
  }

  /**
   * A JSON object's {@code model} (if text), {@code usage} (if an object) and {@code status} (if
   * text), last one wins; and its last {@code error} member that is an object, or null.
   */
  private record ModelAndUsage(String model, JsonNode usage, String status, JsonNode error) {

    /**
     * Whether the object reports an error, whatever usage it reports: it has a top-level {@code
     * error} object, or is a Responses API response that failed or was cancelled ({@code status}
     * {@code failed} or {@code cancelled}).
     */
    boolean reportsError() {
      return error != null || "failed".equals(status) || "cancelled".equals(status);
    }
  }

  /**
   * Reads the members of the object the parser just entered, keeping its model, usage, status and
   * whether it has an error object.
   */
  private ModelAndUsage readModelAndUsage(JsonParser p) throws IOException {
    String m = null;
    JsonNode u = null;
    String s = null;
    JsonNode error = null;
    for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
      switch (name) {
        case "model" -> m = nextText(p, model);
        case "usage" -> {
          p.nextToken();
          u = currentObject(p);
        }
        case "status" -> s = nextText(p, null);
        case "error" -> {
          if (nextObject(p)) {
            error = p.readValueAsTree(); // an error object (rare): kept for its status
          }
        }
        default -> skipNext(p);
      }
    }
    return new ModelAndUsage(m, u, s, error);
  }

  private void learnFrom(ModelAndUsage response) {
    if (response != null) {
      learn(response.model(), response.usage());
    }
  }

  /** Keeps a model (if not null) and usage (if it holds a count); returns whether it did. */
  private boolean learn(String m, JsonNode u) {
    return learnUsage(m, parseUsage(u));
  }

  /**
   * Keeps a model (if not null nor empty) and usage (if not null), as a response reports them; the
   * last ones kept win. An empty model names none: Azure OpenAI's content filter chunks (prompt
   * results, annotations, a block) carry {@code "model":""}, after the answer's chunks too. Returns
   * whether there was usage.
   */
  public boolean learnUsage(String m, Usage parsed) {
    if (m != null && !m.isEmpty()) {
      model = m;
    }
    if (parsed != null) {
      usage = parsed;
      later = null;
    }
    return parsed != null;
  }

  /** Reads a chunk's {@code choices}; returns whether they are an empty array. */
  private boolean readChoices(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      return false;
    }
    boolean empty = true;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      empty = false;
      if (t != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      int from = textLength();
      int index = 0;
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        switch (name) {
          case "index" -> index = nextIndex(p);
          case "delta" -> readDelta(p);
          case "text" -> appendNextText(p);
          default -> skipNext(p);
        }
      }
      keepApart(index, from);
    }
    return empty;
  }

  /** The next value if it is a whole number that fits an int, else 0 (the value skipped). */
  private static int nextIndex(JsonParser p) throws IOException {
    if (p.nextToken() == JsonToken.VALUE_NUMBER_INT
        && p.getNumberType() == JsonParser.NumberType.INT) {
      return p.getIntValue();
    }
    p.skipChildren();
    return 0;
  }

  private void readDelta(JsonParser p) throws IOException {
    if (!nextObject(p)) {
      return;
    }
    for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
      switch (name) {
        // A refusal's text comes in its own member, not in content.
        case "content", "reasoning_content", "refusal" -> appendNextText(p);
        case "tool_calls" -> readToolCalls(p);
        case "function_call" -> {
          if (nextObject(p)) {
            readFunction(p); // the legacy functions parameter's call: its name and arguments
          }
        }
        default -> skipNext(p);
      }
    }
  }

  private void readToolCalls(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      return;
    }
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
      if (t != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
        if (!name.equals("function")) {
          skipNext(p);
        } else if (nextObject(p)) {
          readFunction(p);
        }
      }
    }
  }

  private void readFunction(JsonParser p) throws IOException {
    for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
      if (name.equals("name") || name.equals("arguments")) {
        appendNextText(p);
      } else {
        skipNext(p);
      }
    }
  }

  /** Appends the next value if it is text, straight from the parser's buffer; skips it if not. */
  private void appendNextText(JsonParser p) throws IOException {
    if (p.nextToken() == JsonToken.VALUE_STRING) {
      textBuilder().append(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
    } else {
      p.skipChildren();
    }
  }

  /** The text of a document without usage, for the estimate. */
  private void appendDocumentText(JsonNode doc) {
    if (doc == null) {
      return;
    }
    int position = 0;
    for (JsonNode choice : doc.path("choices")) {
      int from = textLength();
      appendText(choice.path("message").get("content"));
      appendText(choice.path("message").get("refusal")); // a refusal's text, content null
      appendText(choice.get("text"));
      for (JsonNode call : choice.path("message").path("tool_calls")) {
        appendText(call.path("function").get("name"));
        appendText(call.path("function").get("arguments"));
      }
      // The legacy functions parameter's call.
      appendText(choice.path("message").path("function_call").get("name"));
      appendText(choice.path("message").path("function_call").get("arguments"));
      JsonNode index = choice.get("index");
      keepApart(index != null && index.canConvertToInt() ? index.intValue() : position, from);
      position++;
    }
    for (JsonNode item : doc.path("output")) {
      for (JsonNode part : item.path("content")) {
        appendText(part.get("text"));
        appendText(part.get("refusal")); // an output_text part's text, or a refusal part's
      }
      appendText(item.get("arguments"));
    }
  }

  private void appendText(JsonNode node) {
    if (node != null && node.isTextual()) {
      textBuilder().append(node.textValue());
    }
  }

  /**
   * The next value if it is text, else null (the value skipped). Returns {@code known} itself when
   * the text equals it, so the model repeated in every chunk is not copied each time.
   */
  private static String nextText(JsonParser p, String known) throws IOException {
    if (p.nextToken() != JsonToken.VALUE_STRING) {
      p.skipChildren();
      return null;
    }
    if (known != null && p.getTextLength() == known.length()) {
      char[] chars = p.getTextCharacters();
      int offset = p.getTextOffset();
      int i = 0;
      while (i < known.length() && chars[offset + i] == known.charAt(i)) {
        i++;
      }
      if (i == known.length()) {
        return known;
      }
    }
    return p.getText();
  }

  /** Moves to the next value; true if it is an object (now entered), else skips it. */
  private static boolean nextObject(JsonParser p) throws IOException {
    if (p.nextToken() == JsonToken.START_OBJECT) {
      return true;
    }
    p.skipChildren();
    return false;
  }

  /** The value the parser is at as a tree if it is an object, else null (the value skipped). */
  private static JsonNode currentObject(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.START_OBJECT) {
      return p.readValueAsTree();
    }
    p.skipChildren();
    return null;
  }

  private static void skipNext(JsonParser p) throws IOException {
    p.nextToken();
    p.skipChildren();
  }

  /**
   * Reads a {@code usage} object in any of the OpenAI shapes (chat and completions:
   * prompt/completion tokens; Responses API: input/output tokens; embeddings: prompt and total
   * only), with the cached, reasoning, audio and image tokens of their {@code *_details}, and the
   * prompt details' {@code cache_write_tokens} (OpenRouter's, and the gateway's own translated
   * answers'). Returns null when the node holds no token count. Counts are taken as reported,
   * however large; a total left out is their sum, {@link Long#MAX_VALUE} when that does not fit.
   */
  public static Usage parseUsage(JsonNode usage) {
    if (usage == null || !usage.isObject()) {
      return null;
    }
    long input = firstCount(usage, "prompt_tokens", "input_tokens");
    long output = firstCount(usage, "completion_tokens", "output_tokens");
    long total = firstCount(usage, "total_tokens", null);
    if (input < 0 && total < 0) {
      return null;
    }
    input = Math.max(input, 0);
    output = Math.max(output, 0);
    if (total < 0) {
      total = TokenCounts.sum(input, output); // absurd counts stay absurd, never negative
    }
    JsonNode inputDetails =
        usage.path("prompt_tokens_details").isObject()
            ? usage.path("prompt_tokens_details")
            : usage.path("input_tokens_details");
    JsonNode outputDetails =
        usage.path("completion_tokens_details").isObject()
            ? usage.path("completion_tokens_details")
            : usage.path("output_tokens_details");
    long cached = Math.max(0, firstCount(inputDetails, "cached_tokens", null));
    long reasoning = Math.max(0, firstCount(outputDetails, "reasoning_tokens", null));
    long cacheWrite = Math.max(0, firstCount(inputDetails, "cache_write_tokens", null));
    long audioIn = Math.max(0, firstCount(inputDetails, "audio_tokens", null));
    long audioOut = Math.max(0, firstCount(outputDetails, "audio_tokens", null));
    long imageIn = Math.max(0, firstCount(inputDetails, "image_tokens", null));
    return new Usage(
        input, output, total, cached, reasoning, cacheWrite, audioIn, audioOut, imageIn);
  }

  private static long firstCount(JsonNode node, String first, String second) {
    JsonNode value = node.get(first);
    if ((value == null || !value.canConvertToLong()) && second != null) {
      JsonNode other = node.get(second);
      value = other != null || value == null ? other : value;
    }
    if (value != null && value.isIntegralNumber() && !value.canConvertToLong()) {
      return UsageCounts.of(
          value); // beyond a long: saturated, then capped as any count above 10^12
    }
    return value != null && value.isNumber() && value.canConvertToLong() && value.longValue() >= 0
        ? value.longValue()
        : -1;
  }
}
