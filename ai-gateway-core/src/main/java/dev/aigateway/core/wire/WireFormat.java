package dev.aigateway.core.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.aigateway.api.BackendFlavor;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.Operation;
import dev.aigateway.api.spi.CachedResponse;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.core.tokens.TokenCounter;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * One provider protocol as the gateway reads and writes it: everything that depends on the shape of
 * a provider's requests and responses, so that no stage of the pipeline has to know which protocol
 * a call speaks. The orchestrator ({@code GovernedCall}) asks {@link WireFormats} for the format of
 * each call once and then talks to it only.
 *
 * <p>What a format does, in the order a call needs it:
 *
 * <ol>
 *   <li>recognise its calls by method, path and headers ({@link #recognise}), helped by the {@link
 *       #pathEndings()} the registry switches on;
 *   <li>read a request ({@link #readRequest}): model, stream, output allowance, choices, the parsed
 *       body; and count its prompt ({@link #countPrompt});
 *   <li>learn usage, the answering model and the text from a response as its bytes pass: one JSON
 *       document ({@link #observeDocument}) or a stream, event by event and never buffered whole
 *       ({@link #observeStream});
 *   <li>write the gateway's own answers in the provider's shape: a local error ({@link #errorBody},
 *       {@link #errorContentType()}) and a cached answer replayed as JSON or as a stream ({@link
 *       #replay});
 *   <li>rewrite a call for a backend of a pool: its URL, whether the model travels in the body, the
 *       body itself ({@link #backendUrl}, {@link #modelInBody}, {@link #bodyForBackend}).
 * </ol>
 *
 * <p>Implementations are immutable and thread-safe: one instance serves every call of a gateway.
 * The OpenAI formats (chat completions, completions, embeddings, the Responses API) are the
 * library's own; Azure OpenAI is not a format of its own but a flavour of the same ones (the same
 * bodies, another path and credential header), handled by their {@link #recognise} and {@link
 * #backendUrl}. Internal to the library: the interface may change in any release.
 */
public interface WireFormat {

  /** A short, stable name for logs and tests, for example {@code openai.chat_completions}. */
  String name();

  /** The kind of call this format carries, as events and policies name it. */
  Operation operation();

  /**
   * The protocol the response cache keys this format's calls by: calls of two formats share cached
   * answers only when this is the same (and their bodies are), so formats whose answers are shaped
   * differently must name different protocols, while the stream and JSON forms of one protocol
   * (which {@link #replay} converts between) name the same. By default one name per operation,
   * never its convention name, which operations share ({@code chat} is chat completions', the
   * Responses API's and Anthropic's Messages API's).
   */
  default String cacheProtocol() {
    return switch (operation()) {
      case CHAT_COMPLETIONS, GENERATE_CONTENT -> "chat";
      case COMPLETIONS -> "text_completion";
      case EMBEDDINGS -> "embeddings";
      case RESPONSES -> "responses";
      case MESSAGES -> "anthropic.messages";
      case EXECUTE_TOOL -> "execute_tool";
      case INVOKE_AGENT -> "invoke_agent";
    };
  }

  /**
   * The request headers that change this format's answers as its body does, which the response
   * cache keys its calls by besides the body (each one present, by its value; a call without them
   * keeps the key it had): none by default; Bedrock InvokeModel's guardrail and trace headers,
   * which ask the same body to be answered under a guardrail.
   */
  default List<String> cacheHeaders() {
    return List.of();
  }

  /**
   * Where this format's requests set the sampling temperature, as JSON pointers into the body in
   * the order they are looked for (the first holding a number is the call's temperature), which the
   * response cache's {@code temperatureAtMost} rule reads: the top-level {@code temperature} by
   * default (OpenAI's and Anthropic's bodies); Gemini's {@code generationConfig.temperature},
   * Converse's {@code inferenceConfig.temperature}.
   */
  default List<String> temperatureFields() {
    return List.of("/temperature");
  }

  /**
   * The last path segments the format's calls end in (a trailing slash ignored), for example {@code
   * completions} for {@code /v1/chat/completions}: the registry asks only the formats registered
   * for a request's last segment to {@link #recognise} it. Never empty.
   */
  List<String> pathEndings();

  /**
   * Whether a request is a call of this format, and as what; null when it is not. Must be fast,
   * must not throw, and must not read the body.
   *
   * @param method the HTTP method, upper case
   * @param path the URL's encoded path
   * @param headers the request's headers by name (case-insensitive), null when absent
   */
  @Nullable CallMatch recognise(
      String method, String path, Function<String, @Nullable String> headers);

  /**
   * The gateway's view of a recognised request. The body is read lazily, on first use, and never
   * when it is larger than {@code maxParsedBodyBytes} (it then reads as not understood).
   */
  WireRequest readRequest(CallMatch match, ClientRequest request, int maxParsedBodyBytes);

  /**
   * The prompt tokens of a request this format read, by the format's counting rules; 0 when its
   * body is not understood. Never throws on the shape of the body.
   */
  long countPrompt(TokenCounter counter, WireRequest request);

  /**
   * Whether a stream of this format reports usage only when the request asks for it, so that the
   * gateway asks for it ({@link #bodyForBackend} with {@code askStreamUsage}) and hides it from an
   * application that did not ({@link #observeStream} with {@code hideUsage}).
   */
  boolean asksForStreamUsage();

  /**
   * Whether a 2xx response body is a stream of events: its {@code Content-Type} says so ({@code
   * text/event-stream}), or, without one, the request asked for a stream.
   */
  default boolean isStream(@Nullable String contentType, boolean streamRequested) {
    return SseBody.isEventStream(contentType, streamRequested);
  }

  /**
   * Whether a routed 2xx response body is a stream held back until its first event ({@link
   * #holdFirstEvent}) so that one that fails before it can fail over: an event stream ({@link
   * #isStream}) by default; a format whose streams come framed otherwise (Gemini's JSON array
   * stream) says so too.
   */
  default boolean holdsFirstEvent(@Nullable String contentType, boolean streamRequested) {
    return isStream(contentType, streamRequested);
  }

  /**
   * A 2xx stream held back until its first event has arrived whole (so that a stream that fails
   * before it can fail over): server-sent events by default ({@link HeldBody#holdFirstEvent}).
   *
   * @param maxBytes the most bytes held before the stream is let go unheld
   * @param contentType the response's {@code Content-Type}, null when absent
   */
  default HeldBody holdFirstEvent(
      InputStream upstream, int maxBytes, @Nullable String contentType) {
    return HeldBody.holdFirstEvent(upstream, maxBytes);
  }

  /**
   * The body the application reads in place of a one-document (JSON) response: bytes pass
   * unchanged, and once the document is whole its usage, model and (when needed) text are read.
   *
   * @param maxCopyBytes a larger document is passed on but not read
   */
  ObservedBody observeDocument(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, int maxCopyBytes);

  /**
   * As {@link #observeDocument(InputStream, BodyListener, BooleanSupplier, int)}, for a format that
   * also learns from the response's headers (Bedrock's InvokeModel reports its token counts there);
   * by default the headers are not read.
   *
   * @param responseHeaders the response's headers by name (case-insensitive), null when absent
   */
  default ObservedBody observeDocument(
      InputStream upstream,
      BodyListener listener,
      BooleanSupplier callCanceled,
      int maxCopyBytes,
      Function<String, @Nullable String> responseHeaders) {
    return observeDocument(upstream, listener, callCanceled, maxCopyBytes);
  }

  /**
   * The body the application reads in place of a streamed response: events are read one by one as
   * they pass, never the whole stream at once.
   *
   * @param hideUsage whether the gateway asked for stream usage that the application did not ask
   *     for, so that the stream must read as it would have without it (see {@link
   *     #asksForStreamUsage()})
   */
  ObservedBody observeStream(
      InputStream upstream, BodyListener listener, BooleanSupplier callCanceled, boolean hideUsage);

  /** A local error (a rejection) as the provider would answer it: the body. */
  byte[] errorBody(LocalError error);

  /** The {@code Content-Type} of {@link #errorBody}. */
  String errorContentType();

  /**
   * Headers a local error carries besides its body, where the provider names the error in one (AWS:
   * {@code x-amzn-ErrorType}); none by default.
   */
  default Map<String, String> errorHeaders(LocalError error) {
    return Map.of();
  }

  /**
   * A cached answer in the form a call asks for (JSON, or a stream), or null when it cannot be
   * given in that form (the call is then a cache miss).
   *
   * @param stream whether the call asks for a stream
   * @param includeUsage whether the call itself asked the stream to report usage
   */
  @Nullable Replayed replay(CachedResponse cached, boolean stream, boolean includeUsage);

  /**
   * Whether a 200 answer that ended complete failed all the same, so that the response cache does
   * not keep it: cut off by the provider's content filter (an OpenAI format's choice finished
   * {@code content_filter}, a Responses API response incomplete for that reason, a Claude message
   * its classifiers stopped, {@code stop_reason: "refusal"}, a Converse answer its content filter
   * cut off, {@code stopReason: "content_filtered"}), or ended by the model's failure (a Gemini
   * candidate finished by any reason but {@code STOP} or {@code MAX_TOKENS}, its filters' among
   * them; a Converse answer the model failed to form, {@code malformed_model_output} or {@code
   * malformed_tool_use}); false by default. (An error the body reports is noted as the body passes:
   * {@link ResponseReadout#errorAnswer}.) Called only when an answer is about to be stored.
   *
   * @param body the backend's bytes, whole
   * @param stream whether {@code body} is an event stream
   */
  default boolean failedAnswer(byte[] body, boolean stream) {
    return false;
  }

  /**
   * As {@link #failedAnswer(byte[], boolean)}, for {@code request}'s answer: the same by default; a
   * format whose answers are shaped by the model called (Bedrock InvokeModel) reads them as that
   * model's. Called only when an answer is about to be stored.
   *
   * @param request a request this format read
   * @param body the backend's bytes, whole
   * @param stream whether {@code body} is an event stream
   */
  default boolean failedAnswer(WireRequest request, byte[] body, boolean stream) {
    return failedAnswer(body, stream);
  }

  /**
   * Whether an error answer's JSON body {@code body[0, length)} says the provider's content filter
   * refused the prompt: Azure OpenAI's and Azure AI Foundry's 400 {@code {"error":{"code":
   * "content_filter", "innererror":{"code":"ResponsibleAIPolicyViolation", ...}}}} (OpenAI's
   * shapes); false by default. Asked only of a 400 whose body is JSON and ended within a small
   * bound (error bodies are small; a larger one is not read).
   */
  default boolean promptFiltered(byte[] body, int length) {
    return false;
  }

  /**
   * Whether {@link #promptFiltered} may say true: only then is a 400's JSON body read before it is
   * handed on. False by default.
   */
  default boolean tellsPromptFiltered() {
    return false;
  }

  /**
   * What keeps a 200 answer that ended complete (its end marker read, its document whole) from
   * being a whole, well-formed answer, so that the response cache does not keep it; null when it is
   * one (the default). Each format reads the answer once for both:
   *
   * <ul>
   *   <li>{@link AnswerDefect#UNFINISHED}: the answer does not say that each of its answers
   *       finished: an OpenAI chat or completions stream with a choice that never gave a {@code
   *       finish_reason} (a backend or a proxy lost its end, and still sent {@code [DONE]}), an
   *       Anthropic message without a stop reason or a turn the API paused ({@code stop_reason:
   *       "pause_turn"}, which the client is meant to continue), a ConverseStream without its
   *       {@code messageStop}. Replayed, such an answer would pass for a whole one.
   *   <li>{@link AnswerDefect#MALFORMED}: it holds an event, element, frame or bytes that are not
   *       well-formed (a backend's or a proxy's fault, or bytes corrupted on the way): server-sent
   *       events whose data is not JSON, Gemini's documents and JSON array streams that are not
   *       JSON read whole (their bounds are found without reading them whole), Bedrock's binary
   *       frames that do not decode or whose payload is not JSON.
   * </ul>
   *
   * Either way the same call asked again may well be answered whole, where a stored copy would
   * repeat the damage for the entry's whole time to live. Called only when an answer is about to be
   * stored; an answer that is both is {@link AnswerDefect#UNFINISHED}.
   *
   * @param body the backend's bytes, whole
   * @param eventStream whether {@code body} was read as an event stream ({@link #isStream}); a
   *     Gemini array stream is not one
   */
  default @Nullable AnswerDefect answerDefect(byte[] body, boolean eventStream) {
    return null;
  }

  /** Why an answer that ended complete is not a whole, well-formed one ({@link #answerDefect}). */
  enum AnswerDefect {
    /** It does not say that each of its answers finished. */
    UNFINISHED,
    /** An event, element, frame or bytes of it are not well-formed. */
    MALFORMED
  }

  /**
   * The URL a call goes to on a backend of a pool.
   *
   * @param flavor how the backend is addressed (OpenAI, Azure OpenAI, ...)
   * @param baseUrl the backend's base URL, without a trailing slash
   * @param apiVersion the backend's API version, null when it has none
   * @param targetModel the model (or deployment) the backend serves the call with
   */
  String backendUrl(
      BackendFlavor flavor, String baseUrl, @Nullable String apiVersion, String targetModel);

  /**
   * Whether a backend of {@code flavor} can be sent a call of this format, as it is or translated
   * for it: a routed pool never sends a call to a backend that does not speak it (an OpenAI
   * Responses API call to an Anthropic backend), and refuses it at admission when no backend
   * serving the model does. True by default.
   */
  default boolean servedBy(BackendFlavor flavor) {
    return true;
  }

  /** Whether a backend of {@code flavor} reads the model from the body (false: from the URL). */
  boolean modelInBody(BackendFlavor flavor);

  /**
   * The request body rewritten for sending: the model replaced (when {@code model} is not null) and
   * stream usage asked for (when {@code askStreamUsage}); null when nothing changes or the body
   * cannot be rewritten, so the application's bytes go out unchanged.
   *
   * @param request a request this format read
   */
  byte @Nullable [] bodyForBackend(
      WireRequest request, @Nullable String model, boolean askStreamUsage);

  /**
   * The texts of a request this format read that content safety checks (message contents, inputs,
   * prompts), in the request's order; empty when the body is not understood or the format does not
   * say. Called only when content safety checks the prompt.
   */
  default List<ContentText> promptTexts(WireRequest request) {
    return List.of();
  }

  /**
   * The texts of each message whose content this format's request gives as two or more text parts
   * (of {@link #promptTexts}), per message in order: a model reads a message's parts as one text,
   * so content safety also looks for what the parts hold only together (a word split between two of
   * them). Empty when no message has several text parts, the body is not understood, or the format
   * does not say.
   */
  default List<List<String>> promptTextParts(WireRequest request) {
    return List.of();
  }

  /**
   * Whether {@link #promptTexts} reads this format's prompts: then a body the format could not read
   * ({@link WireRequest#bodyUnderstood()} false: above the parse bound, or not one JSON object)
   * holds texts no check has seen, and content safety does not send it as if it had passed.
   */
  default boolean readsPromptTexts() {
    return false;
  }

  /**
   * Whether {@link #promptTexts} reads the prompt of {@code request}: {@link #readsPromptTexts()}
   * by default; a format whose bodies are shaped by the model called (Bedrock InvokeModel) reads
   * those of the models whose shapes it knows.
   */
  default boolean readsPromptTexts(WireRequest request) {
    return readsPromptTexts();
  }

  /**
   * The request's body as the semantic cache reads it: OpenAI's chat shape for a conversation (a
   * {@code messages} array of {@code role} and {@code content}), every other member kept as the
   * context two calls must share. By default the body itself (OpenAI's formats, and Anthropic's
   * Messages, whose {@code messages} the cache reads as they are); a format whose conversation is
   * shaped otherwise (Gemini's {@code contents}, Converse's content blocks) gives a view in that
   * shape, or null when its messages hold anything but text (the call is then cached exactly only).
   * Called only when a semantic cache is configured.
   */
  default @Nullable ObjectNode semanticBody(WireRequest request) {
    return request.body();
  }

  /** How many messages (or input items) the request carries; 0 when not known. */
  default int messageCount(WireRequest request) {
    return 0;
  }

  /**
   * The request's body with each of its {@link #promptTexts} rewritten by {@code redactor} (which
   * returns its argument itself when it changes nothing), every other byte as the application wrote
   * it (content safety's redaction); null when no text changed, the body is not JSON, or the format
   * does not read its prompt texts.
   */
  default byte @Nullable [] redactedBody(WireRequest request, UnaryOperator<String> redactor) {
    return null;
  }

  /**
   * The same request with {@code body} in place of the application's bytes (content safety's
   * redaction), or null when the format cannot re-read a request.
   */
  default @Nullable WireRequest withBody(WireRequest request, byte[] body) {
    return null;
  }

  /**
   * Hands {@code sink} the answer text one stream event's data carries ({@code data[from, to)}, a
   * chunk's delta), piece by piece with the answer each piece continues: a call that asks for
   * several answers ({@code n}) gets their chunks interleaved, and each answer is a text of its
   * own. Hands nothing when the event carries no text or the format does not say. Called only when
   * content safety screens streamed answers.
   */
  default void eventText(byte[] data, int from, int to, EventTexts sink) {}

  /**
   * Whether content safety reads the answer texts of this format's streams, so that it screens
   * them: server-sent events by {@link #eventText}, AWS event stream messages by {@link #frameText}
   * ({@link #framesEventStream}); false (the default) for a format whose streams it does not read
   * (Bedrock InvokeModel on a model other than Claude), which then pass untouched, as they come.
   */
  default boolean readsEventTexts() {
    return false;
  }

  /**
   * Whether this format's streams are AWS binary event streams (Bedrock's), cut into messages
   * rather than server-sent events; false by default.
   */
  default boolean framesEventStream() {
    return false;
  }

  /**
   * Hands {@code sink} the answer text one AWS event stream message carries ({@link
   * #framesEventStream}: Bedrock's), as {@link #eventText} does for a server-sent event; nothing
   * when the message carries none or the format does not say. Called only when content safety
   * screens streamed answers.
   */
  default void frameText(EventStreamFrame frame, EventTexts sink) {}

  /**
   * Whether content safety reads the answer texts of {@code request}'s streams: {@link
   * #readsEventTexts()} by default; a format whose answers are shaped by the model called (Bedrock
   * InvokeModel) reads those of the models whose shapes it knows.
   */
  default boolean readsEventTexts(WireRequest request) {
    return readsEventTexts();
  }

  /**
   * Hands {@code sink} the answer text one message of {@code request}'s AWS event stream carries:
   * {@link #frameText(EventStreamFrame, EventTexts)} by default, read as the model called answers
   * where the format's answers are the model's own (Bedrock InvokeModel).
   */
  default void frameText(WireRequest request, EventStreamFrame frame, EventTexts sink) {
    frameText(frame, sink);
  }

  /** Receives the answer texts of a stream event ({@link #eventText}). */
  @FunctionalInterface
  interface EventTexts {
    /**
     * {@code text} continues answer {@code choice}: the choice's index in a call that asks for
     * several answers, else 0.
     */
    void text(int choice, String text);
  }

  /**
   * The shape of this format's whole JSON answers, by which content safety reads their texts
   * ({@link #answerTexts}) and withholds one ({@link #withheldAnswer}); null (the default) when the
   * format reads none, so that its JSON answers pass unscreened.
   */
  default AnswerDocuments.@Nullable Shape answerShape() {
    return null;
  }

  /**
   * Whether this format reads the texts of a whole JSON answer ({@link #answerTexts}) and can
   * withhold one ({@link #withheldAnswer}), so that content safety screens its JSON answers: when
   * it names an {@link #answerShape()}.
   */
  default boolean readsAnswers() {
    return answerShape() != null;
  }

  /**
   * The answer texts of a whole JSON answer {@code document} (what the model wrote: message
   * contents, text parts), in order; empty when it holds none or is not understood. Called only
   * when {@link #readsAnswers()} and content safety screens answers.
   */
  default List<String> answerTexts(byte[] document) {
    AnswerDocuments.Shape shape = answerShape();
    return shape == null ? List.of() : AnswerDocuments.texts(shape, document);
  }

  /**
   * The JSON answer the application gets in place of {@code document} when content safety withholds
   * it, as the provider answers when its own content filter withholds an output (status 200; for
   * OpenAI's shapes {@code finish_reason: "content_filter"}, as Azure OpenAI answers), the rest of
   * the document (id, model, usage) kept; {@code document} is null when the answer was too large to
   * hold ({@code []} when the part held began an array: a Gemini array stream, withheld as an
   * array). Called only when {@link #readsAnswers()}.
   *
   * @param category what was found, where the shape has room to say it
   * @throws UnsupportedOperationException when the format names no {@link #answerShape()}
   */
  default byte[] withheldAnswer(byte @Nullable [] document, String category) {
    AnswerDocuments.Shape shape = answerShape();
    if (shape == null) {
      throw new UnsupportedOperationException(name() + " does not withhold answers");
    }
    return AnswerDocuments.withheld(shape, document, category);
  }

  /**
   * Whether content safety reads and can withhold {@code request}'s JSON answers: {@link
   * #readsAnswers()} by default; a format whose answers are shaped by the model called (Bedrock
   * InvokeModel) reads those of the models whose shapes it knows.
   */
  default boolean readsAnswers(WireRequest request) {
    return readsAnswers();
  }

  /**
   * The answer texts of {@code request}'s JSON answer {@code document}: {@link
   * #answerTexts(byte[])} by default. Called only when {@link #readsAnswers(WireRequest)}.
   */
  default List<String> answerTexts(WireRequest request, byte[] document) {
    return answerTexts(document);
  }

  /**
   * The JSON answer the application gets in place of {@code request}'s answer {@code document} when
   * content safety withholds it: {@link #withheldAnswer(byte[], String)} by default. Called only
   * when {@link #readsAnswers(WireRequest)}.
   */
  default byte[] withheldAnswer(WireRequest request, byte @Nullable [] document, String category) {
    return withheldAnswer(document, category);
  }

  /**
   * A last stream event carrying a local error, as the provider ends a stream it stops (content
   * safety blocking the answer mid-way): by default one {@code data:} line holding {@link
   * #errorBody} and the blank line that ends the event.
   */
  default byte[] streamErrorEvent(LocalError error) {
    byte[] body = errorBody(error);
    byte[] event = new byte[body.length + 8];
    System.arraycopy("data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, event, 0, 6);
    System.arraycopy(body, 0, event, 6, body.length);
    event[event.length - 2] = '\n';
    event[event.length - 1] = '\n';
    return event;
  }
}
