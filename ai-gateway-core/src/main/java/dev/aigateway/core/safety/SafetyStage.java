package dev.aigateway.core.safety;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.SafetyInfo;
import dev.aigateway.api.SafetyOutcome;
import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.ContentFinding;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.api.spi.ContentVerdict;
import dev.aigateway.core.pipeline.Admission;
import dev.aigateway.core.pipeline.CallStage;
import dev.aigateway.core.pipeline.Exchange;
import dev.aigateway.core.pipeline.Rejection;
import dev.aigateway.core.pipeline.Rejections;
import dev.aigateway.core.wire.ObservedBody;
import dev.aigateway.core.wire.WireFormat;
import dev.aigateway.core.wire.WireRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The content safety stage of one call (see {@link ContentSafety} for what it checks and in which
 * order): before the call, the prompt's checks (a block is a 400 {@code content_filter}; a
 * redaction rewrites the body the rest of the pipeline and the backend see); on a streamed answer,
 * the window checks of {@link AnswerScreen}. Sits right inside telemetry and the allowance check,
 * before routing, limits and the cache, so a blocked call reserves nothing.
 */
public final class SafetyStage implements CallStage {

  private static final Logger log = LoggerFactory.getLogger(SafetyStage.class);

  /** The error type of a call whose answer was stopped. */
  static final String ANSWER_BLOCKED = "content_blocked";

  /** How a message's text parts are joined to be read as one: directly, and by a line break. */
  private static final String[] PART_JOINS = {"", "\n"};

  /** The document an answer too large to hold is withheld from when it is a JSON array. */
  private static final byte[] EMPTY_ARRAY = {'[', ']'};

  private final Exchange exchange;
  private final ContentSafety safety;
  private final Spans spans = new Spans();
  private SafetyOutcome outcome = SafetyOutcome.NONE;
  private @Nullable String check;
  private @Nullable String category;
  private int redactions;
  private long externalNanos = -1;

  /** The answer the application gets in place of a withheld JSON answer, or null. */
  private byte @Nullable [] withheldAnswer;

  private SafetyStage(Exchange exchange, ContentSafety safety) {
    this.exchange = exchange;
    this.safety = safety;
  }

  /** The stage for a gateway's content safety, or null when it has none. */
  public static CallStage.@Nullable Factory of(@Nullable ContentSafety safety) {
    if (safety == null || (!safety.checksPrompt() && !safety.screensAnswers())) {
      return null;
    }
    return new SafetyFactory(safety);
  }

  /** The content safety stage's factory, which the gateway's inventory reads the checks of. */
  public static final class SafetyFactory implements CallStage.Factory {
    private final ContentSafety safety;

    private SafetyFactory(ContentSafety safety) {
      this.safety = safety;
    }

    /** The gateway's content safety configuration. */
    public ContentSafety safety() {
      return safety;
    }

    @Override
    public CallStage begin(Exchange exchange) {
      return new SafetyStage(exchange, safety);
    }
  }

  @Override
  public @Nullable Admission admit() {
    if (!safety.checksPrompt()) {
      return null; // nothing read: the prompt costs nothing when only answers are screened
    }
    outcome = SafetyOutcome.PASSED;
    WireRequest request = exchange.request();
    WireFormat format = request.format();
    boolean reads = format.readsPromptTexts(request);
    if (reads && !request.bodyUnderstood() && request.rawBody().length > 0) {
      return unreadable(request);
    }
    if (!reads
        && (!safety.rules().isEmpty()
            || !safety.promptChecks().isEmpty()
            || safety.maxMessages() > 0)) {
      // A prompt that is not read (Bedrock InvokeModel on a model whose body's shape is not known):
      // no text check saw the prompt, so the call is not said to pass them.
      note(SafetyOutcome.FLAGGED, "unreadable-prompt", "format-not-read");
    }
    if (!safety.rules().isEmpty()) {
      boolean redact = false;
      List<TextRule> rules = safety.rules();
      for (ContentText text : format.promptTexts(request)) {
        spans.clear();
        safety.scan().find(text.text(), spans);
        if (spans.size() == 0) {
          continue;
        }
        for (int r = 0; r < rules.size(); r++) {
          int first = spans.firstTagged(r);
          if (first < 0) {
            continue;
          }
          TextRule rule = rules.get(r);
          switch (rule.action()) {
            case BLOCK -> {
              String found = spans.kind(first);
              redactRefused(request);
              return block(rule.check(), found, Map.of("filtered", true, "detected", true));
            }
            case FLAG -> note(SafetyOutcome.FLAGGED, rule.check(), spans.kind(first));
            case REDACT -> {
              redact = true;
              note(SafetyOutcome.REDACTED, rule.check(), spans.kind(first));
            }
          }
        }
      }
      Admission split = acrossParts(request);
      if (split != null) {
        return split;
      }
      if (redact) {
        byte[] body = format.redactedBody(request, this::redacted);
        WireRequest rewritten = body == null ? null : format.withBody(request, body);
        if (rewritten == null) {
          // What was to be redacted cannot be: the format cannot rewrite its body. Never send it.
          return block("redaction", String.valueOf(category), Map.of("filtered", true));
        }
        exchange.rewriteRequest(rewritten);
        request = rewritten;
      }
    }
    if (safety.maxMessages() > 0 && format.messageCount(request) > safety.maxMessages()) {
      return block("max-messages", "messages", Map.of("filtered", true));
    }
    if (safety.maxPromptTokens() > 0 && exchange.promptTokens() > safety.maxPromptTokens()) {
      return block("max-prompt-tokens", "prompt-tokens", Map.of("filtered", true));
    }
    if (!safety.promptChecks().isEmpty()) {
      List<ContentText> texts = format.promptTexts(request);
      if (!texts.isEmpty()) {
        for (ContentSafety.External external : safety.promptChecks()) {
          Admission answer = external(external, texts);
          if (answer != null) {
            return answer;
          }
        }
      }
    }
    return null;
  }

  /**
   * Applies the text rules to what a message's text parts hold only together (a model reads them as
   * one text): each message of two or more parts is scanned with its parts joined directly and by a
   * line break, and a match that takes in text of two parts counts. A blocking rule blocks; a
   * flagging one flags; a redacting one blocks (check {@code redaction}): the data cannot be masked
   * in either part alone, and is never sent. Matches inside one part were acted on already.
   */
  private @Nullable Admission acrossParts(WireRequest request) {
    List<List<String>> messages = request.format().promptTextParts(request);
    if (messages.isEmpty()) {
      return null;
    }
    List<TextRule> rules = safety.rules();
    StringBuilder joined = new StringBuilder();
    for (List<String> parts : messages) {
      int[] ends = new int[parts.size() - 1];
      for (String separator : PART_JOINS) {
        joined.setLength(0);
        for (int p = 0; p < parts.size(); p++) {
          if (p > 0) {
            ends[p - 1] = joined.length();
            joined.append(separator);
          }
          joined.append(parts.get(p));
        }
        spans.clear();
        safety.scan().find(joined.toString(), spans);
        for (int r = 0; r < rules.size() && spans.size() > 0; r++) {
          int found = firstAcross(r, ends, separator.length());
          if (found < 0) {
            continue;
          }
          TextRule rule = rules.get(r);
          String kind = spans.kind(found);
          switch (rule.action()) {
            case BLOCK -> {
              redactRefused(request);
              return block(rule.check(), kind, Map.of("filtered", true, "detected", true));
            }
            case REDACT -> {
              redactRefused(request);
              return block("redaction", kind, Map.of("filtered", true));
            }
            case FLAG -> note(SafetyOutcome.FLAGGED, rule.check(), kind);
          }
        }
      }
    }
    return null;
  }

  /**
   * The first span of rule {@code r} that takes in text on both sides of one of the parts' {@code
   * ends} (each followed by a separator of {@code gap} characters), or -1.
   */
  private int firstAcross(int r, int[] ends, int gap) {
    for (int i = 0; i < spans.size(); i++) {
      if (spans.tag(i) != r) {
        continue;
      }
      for (int end : ends) {
        if (spans.start(i) < end && spans.end(i) > end + gap) {
          return i;
        }
      }
    }
    return -1;
  }

  /**
   * A prompt of a format whose texts are checked, in a body the gateway did not read (above {@code
   * maxParsedBodyBytes}, or not one JSON object): no check can see its texts, so it is refused
   * (check {@code unreadable-prompt}, category {@code too-large} or {@code not-json}) when a
   * configured check could refuse or rewrite it (a text rule that blocks or redacts, a cap), and an
   * external check that could not run fails closed or open as configured. With only flagging checks
   * it goes on, flagged.
   */
  private @Nullable Admission unreadable(WireRequest request) {
    String why =
        request.rawBody().length > exchange.settings().maxParsedBodyBytes()
            ? "too-large"
            : "not-json";
    boolean mayRefuse = safety.maxMessages() > 0 || safety.maxPromptTokens() > 0;
    for (TextRule rule : safety.rules()) {
      mayRefuse |= rule.action() != SafetyAction.FLAG;
    }
    if (mayRefuse) {
      redactRefused(request); // a body too large to check is still JSON: what reads it is masked
      return block("unreadable-prompt", why, Map.of("filtered", true));
    }
    note(SafetyOutcome.FLAGGED, "unreadable-prompt", why);
    for (ContentSafety.External external : safety.promptChecks()) {
      String name = external.check().name();
      if (safety.failClosed()) {
        outcome = SafetyOutcome.CHECK_FAILED_CLOSED;
        check = name;
        category = why;
        return rejected(Rejections.contentCheckUnavailable(request.format(), name, why));
      }
      note(SafetyOutcome.CHECK_FAILED, name, why);
    }
    return null;
  }

  private @Nullable Admission external(ContentSafety.External external, List<ContentText> texts) {
    String name = external.check().name();
    ContentVerdict verdict = run(external.check(), ContentCheck.Where.PROMPT, texts);
    if (verdict == null) {
      if (safety.failClosed()) {
        outcome = SafetyOutcome.CHECK_FAILED_CLOSED;
        Rejection rejection =
            Rejections.contentCheckUnavailable(exchange.request().format(), name, category);
        return rejected(rejection);
      }
      return null;
    }
    if (!verdict.flagged()) {
      return null;
    }
    ContentFinding finding = verdict.findings().isEmpty() ? null : verdict.findings().get(0);
    if (external.action() == SafetyAction.BLOCK) {
      return block(
          name,
          verdict.category(),
          finding == null
              ? Map.of("filtered", true)
              : Map.of("filtered", true, "score", finding.score()));
    }
    note(SafetyOutcome.FLAGGED, name, verdict.category());
    return null;
  }

  /**
   * Runs an external check within the timeout; null when it failed (the outcome then says {@code
   * CHECK_FAILED}, the category why).
   */
  private @Nullable ContentVerdict run(
      ContentCheck contentCheck, ContentCheck.Where where, List<ContentText> texts) {
    long began = System.nanoTime();
    String failure;
    Future<ContentVerdict> future = null;
    try {
      future = ContentSafety.CHECK_THREADS.submit(() -> contentCheck.check(where, texts));
      ContentVerdict verdict = future.get(safety.checkTimeoutNanos(), TimeUnit.NANOSECONDS);
      if (verdict != null) {
        return verdict;
      }
      failure = "no-verdict";
    } catch (TimeoutException e) {
      future.cancel(true);
      failure = "timeout";
    } catch (RejectedExecutionException e) {
      failure = "busy";
    } catch (ExecutionException e) {
      failure = "error";
      // The cause's class only: a message could quote what was sent.
      log.warn(
          "ai-gateway: content check {} failed on call {}: {}",
          contentCheck.name(),
          exchange.callId(),
          e.getCause() == null ? "?" : e.getCause().getClass().getName());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      if (future != null) {
        future.cancel(true);
      }
      failure = "interrupted";
    } finally {
      externalNanos = Math.max(0, externalNanos) + (System.nanoTime() - began);
    }
    note(SafetyOutcome.CHECK_FAILED, contentCheck.name(), failure);
    return null;
  }

  /**
   * Rewrites a prompt a text rule blocks with what the redacting rules mask, when they find
   * anything: the call is refused, but what still reads its request (the prompt log) must never see
   * what was to be masked.
   */
  private void redactRefused(WireRequest request) {
    List<TextRule> rules = safety.rules();
    for (int r = 0; r < rules.size(); r++) {
      if (rules.get(r).action() == SafetyAction.REDACT) {
        byte[] body = request.format().redactedBody(request, this::redacted);
        WireRequest rewritten = body == null ? null : request.format().withBody(request, body);
        if (rewritten != null) {
          exchange.rewriteRequest(rewritten);
        }
        return;
      }
    }
  }

  /** {@code text} with what the redacting rules find replaced; the same instance when nothing. */
  String redacted(String text) {
    spans.clear();
    safety.scan().find(text, spans);
    List<TextRule> rules = safety.rules();
    boolean any = false;
    for (int i = 0; i < spans.size() && !any; i++) {
      any = rules.get(spans.tag(i)).action() == SafetyAction.REDACT;
    }
    if (!any) {
      return text;
    }
    spans.sort();
    StringBuilder out = new StringBuilder(text.length() + 16 * spans.size());
    int copied = 0;
    for (int i = 0; i < spans.size(); i++) {
      if (rules.get(spans.tag(i)).action() != SafetyAction.REDACT) {
        continue; // found by a rule that flags or blocks
      }
      if (spans.start(i) < copied) {
        continue; // overlaps one replaced already
      }
      out.append(text, copied, spans.start(i)).append(safety.placeholder(spans.kind(i)));
      copied = spans.end(i);
      redactions++;
    }
    return out.append(text, copied, text.length()).toString();
  }

  private Admission block(String blockedBy, String found, Map<String, Object> finding) {
    outcome = SafetyOutcome.BLOCKED;
    check = blockedBy;
    category = found;
    return rejected(
        Rejections.contentBlocked(exchange.request().format(), blockedBy, found, finding));
  }

  private Admission rejected(Rejection rejection) {
    return exchange.rejected(rejection);
  }

  /** Records what a check found, unless something weightier was recorded already. */
  private void note(SafetyOutcome found, String by, String what) {
    if (rank(found) > rank(outcome)) {
      outcome = found;
      check = by;
      category = what;
    }
  }

  private static int rank(SafetyOutcome outcome) {
    return switch (outcome) {
      case NONE -> 0;
      case PASSED -> 1;
      case FLAGGED -> 2;
      case REDACTED -> 3;
      case CHECK_FAILED -> 4;
      case BLOCKED, ANSWER_BLOCKED, CHECK_FAILED_CLOSED -> 5;
    };
  }

  // ---- the answer

  @Override
  public InputStream deliver(ObservedBody observed, InputStream body) {
    byte[] withheld = withheldAnswer;
    if (withheld != null) {
      exchange.answerReplaced(true);
      try {
        observed.withhold(ANSWER_BLOCKED);
      } catch (IOException e) {
        // The rest of an answer too large to hold failed: the call ended so; still withheld.
      }
      return new ByteArrayInputStream(withheld);
    }
    if (!safety.screensAnswers() || !exchange.eventStream()) {
      return body;
    }
    if (!exchange.request().format().readsEventTexts(exchange.request())) {
      // A stream whose texts are not read (Bedrock InvokeModel on a model whose answers' shape is
      // not known): passed untouched, as it comes, and not said to have passed a screening it did
      // not get.
      note(SafetyOutcome.FLAGGED, "unreadable-answer", "format-not-read");
      return body;
    }
    if (outcome == SafetyOutcome.NONE) {
      outcome = SafetyOutcome.PASSED;
    }
    return new AnswerScreen(
        this, exchange.request(), observed, body, safety.answerWindow(), safety.answerOverlap());
  }

  /**
   * Checks one window of a streamed answer's text, from {@code from} on (the characters before it
   * are context only: what a match there must not start in, so the tail of a word cut by the window
   * is not taken for a whole word); returns the error event that ends the stream when it is
   * blocked, else null.
   */
  byte @Nullable [] screenAnswer(String window, int from) {
    if (!answerBlocked(List.of(window), from)) {
      return null;
    }
    return Rejections.answerBlockedEvent(exchange.request().format(), check, category);
  }

  /**
   * Checks answer texts with the text rules (a block blocks; a redaction or a flag flags) and the
   * answer checks; true when they block the answer (the outcome then says {@code ANSWER_BLOCKED},
   * by which check and what it found). A text rule's match that starts before {@code from} in a
   * text does not count, and the answer checks get the texts from {@code from} on.
   */
  private boolean answerBlocked(List<String> texts, int from) {
    List<TextRule> rules = safety.rules();
    for (String text : texts) {
      spans.clear();
      safety.scan().find(text, spans);
      for (int r = 0; r < rules.size() && spans.size() > 0; r++) {
        int first = spans.firstTagged(r, from);
        if (first >= 0) {
          TextRule rule = rules.get(r);
          if (rule.action() == SafetyAction.BLOCK) {
            return markAnswerBlocked(rule.check(), spans.kind(first));
          }
          note(SafetyOutcome.FLAGGED, rule.check(), spans.kind(first));
        }
      }
    }
    if (!safety.answerChecks().isEmpty() && !texts.isEmpty()) {
      List<ContentText> contents = new ArrayList<>(texts.size());
      for (String text : texts) {
        contents.add(new ContentText("assistant", text.substring(Math.min(from, text.length()))));
      }
      for (ContentSafety.External external : safety.answerChecks()) {
        ContentVerdict verdict = run(external.check(), ContentCheck.Where.ANSWER, contents);
        if (verdict == null) {
          if (safety.failClosed()) {
            return markAnswerBlocked(external.check().name(), String.valueOf(category));
          }
        } else if (verdict.flagged()) {
          if (external.action() == SafetyAction.BLOCK) {
            return markAnswerBlocked(external.check().name(), verdict.category());
          }
          note(SafetyOutcome.FLAGGED, external.check().name(), verdict.category());
        }
      }
    }
    return false;
  }

  private boolean markAnswerBlocked(String blockedBy, String found) {
    outcome = SafetyOutcome.ANSWER_BLOCKED;
    check = blockedBy;
    category = found;
    return true;
  }

  // ---- JSON answers

  /**
   * Holds a JSON answer when answers are screened and the call's format reads them: reads it whole
   * (up to {@link ContentSafety#maxHeldAnswerBytes()}) before the application sees a byte, checks
   * its texts, and on a block keeps the provider-shaped withheld answer for {@link #deliver}. The
   * observed body still reads the backend's own bytes, so usage is learnt from them.
   */
  @Override
  public InputStream hold(InputStream body) {
    WireRequest request = exchange.request();
    WireFormat format = request.format();
    if (!safety.screensAnswers()) {
      return body; // nothing held, nothing read
    }
    if (!format.readsAnswers(request)) {
      if (format.framesEventStream()) {
        // A Bedrock answer whose texts are not read (InvokeModel on a model whose answers' shape
        // is not known): passed untouched, and not said to have passed a screening it did not get.
        note(SafetyOutcome.FLAGGED, "unreadable-answer", "format-not-read");
      }
      return body;
    }
    if (outcome == SafetyOutcome.NONE) {
      outcome = SafetyOutcome.PASSED;
    }
    int max = safety.maxHeldAnswerBytes();
    byte[] buffer = new byte[Math.min(max + 1, 16 * 1024)];
    int held = 0;
    try {
      while (held <= max) {
        if (held == buffer.length) {
          buffer = Arrays.copyOf(buffer, Math.min(max + 1, buffer.length * 2));
        }
        int n = body.read(buffer, held, buffer.length - held);
        if (n < 0) {
          break;
        }
        held += n;
      }
    } catch (IOException e) {
      // The observed body reads what came, then the same failure, and ends the call as it would.
      return heldAnswer(buffer, held, null, e);
    }
    if (held > max) {
      if (safety.oversizedAnswer() == SafetyAction.BLOCK) {
        markAnswerBlocked("answer-size", "too-large");
        // Only its start was held: withheld from a minimal document of the shape, an empty array
        // when the answer is one (a Gemini array stream), so the client still reads an array.
        withheldAnswer =
            format.withheldAnswer(
                request, startsArray(buffer, held) ? EMPTY_ARRAY : null, "too-large");
      } else {
        note(SafetyOutcome.FLAGGED, "answer-size", "too-large");
      }
      return heldAnswer(buffer, held, body, null);
    }
    byte[] document = Arrays.copyOf(buffer, held);
    if (answerBlocked(format.answerTexts(request, document), 0)) {
      withheldAnswer = format.withheldAnswer(request, document, String.valueOf(category));
    }
    return heldAnswer(document, held, null, null);
  }

  /** Whether the first byte of {@code held[0, length)} other than JSON white space is {@code [}. */
  private static boolean startsArray(byte[] held, int length) {
    for (int i = 0; i < length; i++) {
      byte b = held[i];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return b == '[';
      }
    }
    return false;
  }

  /**
   * The bytes a stage held ({@code held[0, length)}), then the rest of the body (an answer above
   * the bound) or the failure that stopped the reading.
   */
  private static InputStream heldAnswer(
      byte[] held, int length, @Nullable InputStream rest, @Nullable IOException failure) {
    InputStream after =
        failure != null
            ? new FailedRead(failure)
            : rest != null ? rest : InputStream.nullInputStream();
    return new SequenceInputStream(new ByteArrayInputStream(held, 0, length), after);
  }

  /** A read that fails as the reading of the held answer did. */
  private static final class FailedRead extends InputStream {
    private final IOException failure;

    FailedRead(IOException failure) {
      this.failure = failure;
    }

    @Override
    public int read() throws IOException {
      throw failure;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      throw failure;
    }
  }

  @Override
  public void describe(GatewayEvent.Builder event) {
    if (outcome != SafetyOutcome.NONE) {
      event.safety(
          new SafetyInfo(
              outcome,
              check,
              category,
              redactions,
              externalNanos < 0 ? null : Duration.ofNanos(externalNanos)));
    }
  }
}
