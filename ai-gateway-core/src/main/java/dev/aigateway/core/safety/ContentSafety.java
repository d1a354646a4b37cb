package dev.aigateway.core.safety;

import dev.aigateway.api.spi.ContentCheck;
import dev.aigateway.api.spi.ContentText;
import dev.aigateway.api.spi.ContentVerdict;
import dev.aigateway.core.AiGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Content safety: what the gateway checks in a prompt before sending it, and in an answer (a stream
 * as it passes, a JSON answer held whole), and what it does about what it finds. Immutable and
 * thread-safe once built; give it to {@link AiGateway.Builder#contentSafety}.
 *
 * <pre>{@code
 * ContentSafety safety = ContentSafety.builder()
 *     .maxPromptTokens(8_000).maxMessages(64)
 *     .denyWords("project falcon", "internal only")               // blocked, whole words
 *     .pii(PiiDetector.email(), SafetyAction.REDACT)              // [REDACTED:EMAIL] is sent
 *     .pii(PiiDetector.cardNumber(), SafetyAction.BLOCK)
 *     .externalCheck(AzurePromptShields.of(client, endpoint, key), SafetyAction.BLOCK)
 *     .checkTimeout(Duration.ofMillis(800)).failClosed(false)    // fail open (the default)
 *     .screenAnswers(400, 64)                                    // streamed answers, in windows
 *     .build();
 * }</pre>
 *
 * <p><b>On the prompt</b>, in this order: the text checks (deny lists, personal data) on every text
 * of the request (message contents, inputs, prompts, as the call's wire format reads them); then,
 * when something is to be redacted, the body is rewritten (only the string values that change, as
 * JSON strings; everything else goes out byte for byte) and the rest of the pipeline sees the
 * rewritten body (token estimate, cache key, prompt log, backend); then the caps (messages, prompt
 * tokens, counted on what is sent); then the external checks, on the redacted texts, one after
 * another. The first check that blocks refuses the call with a 400 in the provider's error shape
 * ({@code content_filter}, as Azure OpenAI answers for its own filter), and no backend is called; a
 * prompt a text check blocks is still rewritten with what the redacting rules mask, so that what
 * reads the refused call's request (the prompt log) never sees it.
 *
 * <p><b>External checks</b> run on the gateway's daemon threads, each bounded by {@link
 * Builder#checkTimeout} (default {@value #DEFAULT_CHECK_TIMEOUT_MILLIS} ms). One that throws or
 * does not answer in time fails open by default (the call goes on; its event says {@code
 * CHECK_FAILED}), or, with {@link Builder#failClosed}, refuses the call with a 503 ({@code
 * content_check_unavailable}). Their time is reported per call in the event and as a metric.
 *
 * <p><b>On streamed answers</b> ({@link Builder#screenAnswers}): the answer's text is gathered as
 * its events pass, never buffering the stream, and checked every {@code window} characters (and at
 * its end) together with the last {@code overlap} characters before them, so a word cut between two
 * windows is still found. The event that completes a window waits for its check; the events before
 * it have reached the application. On a block the stream is stopped: the application gets the
 * chunks before it, then one error event in the provider's stream shape, then the end; the call is
 * charged the tokens up to there (the usage reported so far, else an estimate from the text read,
 * marked estimated). A JSON answer is held whole before the application reads any of it (bounded by
 * {@link Builder#maxHeldAnswerBytes}), checked, and on a block replaced by the provider's own shape
 * of a filtered answer (status 200; OpenAI's {@code finish_reason: "content_filter"}), the call
 * charged the usage the backend reported. With no answer screening nothing is held.
 *
 * <p>Nothing of a prompt or an answer is logged, or put in an event or exception, by this stage:
 * events and metrics name the check and the category found, never the text.
 */
public final class ContentSafety {

  /** The default bound on each external check: {@value} ms. */
  public static final long DEFAULT_CHECK_TIMEOUT_MILLIS = 1_000;

  /** The default bound on a JSON answer held to be screened: {@value} bytes (1 MiB). */
  public static final int DEFAULT_MAX_HELD_ANSWER_BYTES = 1 << 20;

  /** The default placeholder of redacted data; {@code {kind}} becomes its kind. */
  public static final String DEFAULT_PLACEHOLDER = "[REDACTED:{kind}]";

  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * External checks run here: at most 64 at once, no queue (a full pool fails the check at once,
   * open or closed as configured), threads made on demand and idle-timed out.
   */
  static final ExecutorService CHECK_THREADS =
      new ThreadPoolExecutor(
          0,
          64,
          30,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "ai-gateway-content-check-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  /** An external check and what to do when it flags. */
  record External(ContentCheck check, SafetyAction action) {}

  private final long maxPromptTokens;
  private final int maxMessages;
  private final List<TextRule> rules;
  private final TextScan scan;
  private final String placeholder;
  private final List<External> promptChecks;
  private final List<External> answerChecks;
  private final Duration checkTimeout;
  private final boolean failClosed;
  private final int answerWindow;
  private final int answerOverlap;
  private final int maxHeldAnswerBytes;
  private final SafetyAction oversizedAnswer;

  private ContentSafety(Builder b) {
    this.maxPromptTokens = b.maxPromptTokens;
    this.maxMessages = b.maxMessages;
    this.rules = List.copyOf(b.rules);
    this.scan = TextScan.of(rules);
    this.placeholder = b.placeholder;
    this.promptChecks = List.copyOf(b.promptChecks);
    this.answerChecks = List.copyOf(b.answerChecks);
    this.checkTimeout = b.checkTimeout;
    this.failClosed = b.failClosed;
    this.answerWindow = b.answerWindow;
    this.answerOverlap = b.answerOverlap;
    this.maxHeldAnswerBytes = b.maxHeldAnswerBytes;
    this.oversizedAnswer = b.oversizedAnswer;
  }

  /** A builder with nothing checked. */
  public static Builder builder() {
    return new Builder();
  }

  long maxPromptTokens() {
    return maxPromptTokens;
  }

  int maxMessages() {
    return maxMessages;
  }

  List<TextRule> rules() {
    return rules;
  }

  /** The rules compiled into one scan of a text (spans tagged with their rule's index). */
  TextScan scan() {
    return scan;
  }

  List<External> promptChecks() {
    return promptChecks;
  }

  List<External> answerChecks() {
    return answerChecks;
  }

  Duration checkTimeout() {
    return checkTimeout;
  }

  /**
   * {@link #checkTimeout()} in nanoseconds, saturated: one beyond a long of nanoseconds ({@code
   * ChronoUnit.FOREVER.getDuration()}) waits as long as the check takes.
   */
  long checkTimeoutNanos() {
    return TimeUnit.NANOSECONDS.convert(checkTimeout);
  }

  boolean failClosed() {
    return failClosed;
  }

  int answerWindow() {
    return answerWindow;
  }

  int answerOverlap() {
    return answerOverlap;
  }

  int maxHeldAnswerBytes() {
    return maxHeldAnswerBytes;
  }

  SafetyAction oversizedAnswer() {
    return oversizedAnswer;
  }

  /** Whether anything at all is checked on the prompt. */
  boolean checksPrompt() {
    return maxPromptTokens > 0 || maxMessages > 0 || !rules.isEmpty() || !promptChecks.isEmpty();
  }

  /** Whether answers are screened: streamed ones in windows, JSON ones held and checked whole. */
  boolean screensAnswers() {
    return answerWindow > 0 && (!rules.isEmpty() || !answerChecks.isEmpty());
  }

  /** The placeholder of data of {@code kind}. */
  String placeholder(String kind) {
    return placeholder.replace("{kind}", kind);
  }

  /**
   * Screens texts that are not an LLM call's (an MCP tool call's arguments or result, an A2A
   * message): the text rules (a {@code BLOCK} or {@code REDACT} rule that finds something blocks:
   * such texts are never rewritten; {@code FLAG} rules are ignored), then the external checks of
   * {@code where} (prompt checks on what is sent, answer checks on what comes back), each bounded
   * by the check timeout; one that fails blocks only when the safety fails closed. Returns the
   * first blocking finding, or null. Never logs or returns the texts.
   */
  public @Nullable Finding screen(ContentCheck.Where where, List<String> texts) {
    Spans spans = new Spans();
    for (String text : texts) {
      for (TextRule rule : rules) {
        if (rule.action() == SafetyAction.FLAG) {
          continue;
        }
        spans.clear();
        rule.finder().find(text, spans);
        if (spans.size() > 0) {
          return new Finding(rule.check(), spans.kind(0), false);
        }
      }
    }
    List<External> externals = where == ContentCheck.Where.PROMPT ? promptChecks : answerChecks;
    if (externals.isEmpty() || texts.isEmpty()) {
      return null;
    }
    List<ContentText> contents = new ArrayList<>(texts.size());
    for (String text : texts) {
      contents.add(new ContentText("tool", text));
    }
    for (External external : externals) {
      ContentVerdict verdict;
      String failure = null;
      Future<ContentVerdict> future = null;
      try {
        future = CHECK_THREADS.submit(() -> external.check().check(where, contents));
        verdict = future.get(checkTimeoutNanos(), TimeUnit.NANOSECONDS);
        if (verdict == null) {
          failure = "no-verdict";
        }
      } catch (TimeoutException e) {
        future.cancel(true);
        verdict = null;
        failure = "timeout";
      } catch (RejectedExecutionException e) {
        verdict = null;
        failure = "busy";
      } catch (ExecutionException e) {
        verdict = null;
        failure = "error";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        future.cancel(true);
        verdict = null;
        failure = "interrupted";
      }
      if (failure != null) {
        if (failClosed) {
          return new Finding(external.check().name(), failure, true);
        }
        continue;
      }
      if (verdict.flagged() && external.action() != SafetyAction.FLAG) {
        return new Finding(external.check().name(), verdict.category(), false);
      }
    }
    return null;
  }

  /**
   * What {@link #screen} found.
   *
   * @param check the check's name ({@code pii.email}, {@code deny-words}, an external check's)
   * @param category what it found (a kind of personal data, a deny list's name, a category), or why
   *     the check failed
   * @param unavailable true when an external check failed and the safety fails closed
   */
  public record Finding(String check, String category, boolean unavailable) {}

  /**
   * One configured check, as the gateway's inventory lists it: its name in events and metrics
   * ({@code pii.email}, {@code deny-words}, an external check's {@link ContentCheck#name()}), what
   * it reads, and what a finding does. Never the words, patterns or credentials it uses.
   *
   * @param name the check's name
   * @param reads {@code prompt}, {@code answer}, or {@code prompt+answer} (a text rule screens
   *     streamed answers too when {@link Builder#screenAnswers} is set)
   * @param action what a finding does
   */
  public record Check(String name, String reads, SafetyAction action) {}

  /**
   * What is checked, without the words, patterns or credentials of the checks: bounds, checks,
   * timeout, failure mode and the streamed-answer window.
   *
   * @param maxPromptTokens the prompt token cap, 0 for none
   * @param maxMessages the message count cap, 0 for none
   * @param checks every text rule and external check, in the order configured
   * @param checkTimeout the bound on each external check
   * @param failClosed whether a failed external check refuses the call
   * @param answerWindowChars the window streamed answers are screened in, 0 when they are not
   */
  public record Summary(
      long maxPromptTokens,
      int maxMessages,
      List<Check> checks,
      Duration checkTimeout,
      boolean failClosed,
      int answerWindowChars) {

    /** Copies the checks. */
    public Summary {
      checks = List.copyOf(checks);
    }
  }

  /** What this configuration checks; see {@link Summary}. */
  public Summary summary() {
    List<Check> checks = new ArrayList<>();
    String textReads = screensAnswers() ? "prompt+answer" : "prompt";
    for (TextRule rule : rules) {
      checks.add(new Check(rule.check(), textReads, rule.action()));
    }
    for (External external : promptChecks) {
      checks.add(new Check(external.check().name(), "prompt", external.action()));
    }
    for (External external : answerChecks) {
      checks.add(new Check(external.check().name(), "answer", external.action()));
    }
    return new Summary(
        maxPromptTokens,
        maxMessages,
        checks,
        checkTimeout,
        failClosed,
        screensAnswers() ? answerWindow : 0);
  }

  @Override
  public String toString() {
    return "ContentSafety{rules="
        + rules.stream().map(r -> r.check() + ":" + r.action()).toList()
        + ", prompt checks="
        + promptChecks.stream().map(e -> e.check().name()).toList()
        + ", answer checks="
        + answerChecks.stream().map(e -> e.check().name()).toList()
        + (answerWindow > 0 ? ", answer window=" + answerWindow : "")
        + "}";
  }

  /** Builds a {@link ContentSafety}. Not thread-safe. */
  public static final class Builder {
    private long maxPromptTokens;
    private int maxMessages;
    private final List<TextRule> rules = new ArrayList<>();
    private String placeholder = DEFAULT_PLACEHOLDER;
    private final List<External> promptChecks = new ArrayList<>();
    private final List<External> answerChecks = new ArrayList<>();
    private Duration checkTimeout = Duration.ofMillis(DEFAULT_CHECK_TIMEOUT_MILLIS);
    private boolean failClosed;
    private int answerWindow;
    private int answerOverlap;
    private int maxHeldAnswerBytes = DEFAULT_MAX_HELD_ANSWER_BYTES;
    private SafetyAction oversizedAnswer = SafetyAction.FLAG;

    private Builder() {}

    /**
     * Refuses a prompt estimated above {@code tokens} (counted as the token limits count it, on the
     * body that would be sent). 0 turns the cap off.
     */
    public Builder maxPromptTokens(long tokens) {
      if (tokens < 0) {
        throw new IllegalArgumentException("maxPromptTokens must not be negative: " + tokens);
      }
      this.maxPromptTokens = tokens;
      return this;
    }

    /** Refuses a request with more than {@code messages} messages (or input items). 0: off. */
    public Builder maxMessages(int messages) {
      if (messages < 0) {
        throw new IllegalArgumentException("maxMessages must not be negative: " + messages);
      }
      this.maxMessages = messages;
      return this;
    }

    /** Blocks prompts (and screened answers) holding any of {@code words} as whole words. */
    public Builder denyWords(String... words) {
      return denyWords("denied-word", SafetyAction.BLOCK, Arrays.asList(words));
    }

    /**
     * A deny list of words or phrases, matched case-insensitively at word boundaries ({@code "ass"}
     * is not found in {@code "class"}); a phrase's words may be separated by any run of white space
     * in the text (a line break, a tab, a no-break space). Full-width and mathematical letters
     * match their ASCII forms, case is folded as {@link String#equalsIgnoreCase} folds it, and
     * invisible format characters inside a word (zero-width spaces and joiners, soft hyphens) and
     * generic combining diacritics over its letters (strike-through, accents) are read past.
     *
     * @param category what events and metrics call a match, and the placeholder's kind when
     *     redacted
     */
    public Builder denyWords(String category, SafetyAction action, Collection<String> words) {
      Objects.requireNonNull(category, "category");
      Objects.requireNonNull(action, "action");
      if (words.isEmpty()) {
        throw new IllegalArgumentException("deny list '" + category + "' has no words");
      }
      rules.add(TextRule.words(category, List.copyOf(words), action));
      return this;
    }

    /**
     * A deny-list pattern: every match is found. Write it so that it cannot backtrack
     * catastrophically; it runs on every text of every checked call.
     *
     * @param category what events and metrics call a match, and the placeholder's kind
     */
    public Builder denyPattern(String category, Pattern pattern, SafetyAction action) {
      rules.add(
          TextRule.pattern(
              Objects.requireNonNull(category, "category"),
              Objects.requireNonNull(pattern, "pattern"),
              Objects.requireNonNull(action, "action")));
      return this;
    }

    /** Acts on the personal data {@code detector} finds. A detector is added once. */
    public Builder pii(PiiDetector detector, SafetyAction action) {
      Objects.requireNonNull(detector, "detector");
      Objects.requireNonNull(action, "action");
      String check = TextRule.pii(detector, action).check();
      for (TextRule rule : rules) {
        if (rule.check().equals(check)) {
          throw new IllegalArgumentException(
              "personal data of kind " + detector.kind() + " is already checked (" + rule + ")");
        }
      }
      rules.add(TextRule.pii(detector, action));
      return this;
    }

    /** Acts alike on every built-in kind of personal data ({@link PiiDetector#defaults()}). */
    public Builder pii(SafetyAction action) {
      for (PiiDetector detector : PiiDetector.defaults()) {
        pii(detector, action);
      }
      return this;
    }

    /**
     * What redacted data is replaced with; {@code {kind}} becomes its kind ({@code EMAIL}, a deny
     * list's category). Default {@value #DEFAULT_PLACEHOLDER}.
     */
    public Builder redactionPlaceholder(String placeholder) {
      this.placeholder = Objects.requireNonNull(placeholder, "placeholder");
      return this;
    }

    /**
     * Asks an external check about every prompt, before it is sent, on its texts after redaction.
     *
     * @param action {@link SafetyAction#BLOCK} or {@link SafetyAction#FLAG} when it flags
     */
    public Builder externalCheck(ContentCheck check, SafetyAction action) {
      promptChecks.add(external(check, action));
      return this;
    }

    /**
     * Asks an external check about each window of a streamed answer ({@link #screenAnswers} sets
     * the windows).
     *
     * @param action {@link SafetyAction#BLOCK} (the stream is stopped) or {@link SafetyAction#FLAG}
     */
    public Builder answerCheck(ContentCheck check, SafetyAction action) {
      answerChecks.add(external(check, action));
      return this;
    }

    private static External external(ContentCheck check, SafetyAction action) {
      Objects.requireNonNull(check, "check");
      Objects.requireNonNull(action, "action");
      if (action == SafetyAction.REDACT) {
        throw new IllegalArgumentException(
            "external check '" + check.name() + "' can block or flag, not redact");
      }
      return new External(check, action);
    }

    /** Bounds each external check's call (default 1 s); must be positive. */
    public Builder checkTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("checkTimeout must be positive: " + timeout);
      }
      this.checkTimeout = timeout;
      return this;
    }

    /**
     * Whether a prompt an external check could not check (it failed or timed out) is refused with a
     * 503 (true) or sent unchecked by it (false, the default: fail open).
     */
    public Builder failClosed(boolean failClosed) {
      this.failClosed = failClosed;
      return this;
    }

    /**
     * Screens answers with the text checks (a block blocks, a redaction or a flag flags) and the
     * {@linkplain #answerCheck answer checks}. A streamed answer is checked every {@code
     * windowChars} characters of answer text, with the {@code overlapChars} before them. A JSON
     * answer, of a format that reads answer texts (OpenAI chat, completions and Responses;
     * Anthropic Messages; Gemini; Bedrock Converse), is held whole before the application reads it
     * (up to {@link #maxHeldAnswerBytes}) and its texts checked at once; a blocked one is replaced
     * by the provider's own answer for a filtered output (OpenAI: status 200, {@code finish_reason:
     * "content_filter"}, as Azure OpenAI answers), usage kept.
     */
    public Builder screenAnswers(int windowChars, int overlapChars) {
      if (windowChars < 1) {
        throw new IllegalArgumentException("windowChars must be positive: " + windowChars);
      }
      if (overlapChars < 0 || overlapChars >= windowChars) {
        throw new IllegalArgumentException(
            "overlapChars must be at least 0 and less than the window ("
                + windowChars
                + "): "
                + overlapChars);
      }
      this.answerWindow = windowChars;
      this.answerOverlap = overlapChars;
      return this;
    }

    /**
     * Bounds the JSON answers held to be screened (default {@value #DEFAULT_MAX_HELD_ANSWER_BYTES}
     * bytes, 1 MiB), and says what happens to a larger one: {@link SafetyAction#FLAG} (the default)
     * passes it unchecked, its event flagged by check {@code answer-size} with category {@code
     * too-large}; {@link SafetyAction#BLOCK} withholds it as a blocked answer (the backend's body
     * is still read to its end for its usage).
     */
    public Builder maxHeldAnswerBytes(int bytes, SafetyAction aboveIt) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxHeldAnswerBytes must be positive: " + bytes);
      }
      if (bytes == Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            "maxHeldAnswerBytes must be below " + Integer.MAX_VALUE + ": " + bytes);
      }
      Objects.requireNonNull(aboveIt, "aboveIt");
      if (aboveIt == SafetyAction.REDACT) {
        throw new IllegalArgumentException(
            "an answer above maxHeldAnswerBytes can be flagged or blocked, not redacted");
      }
      this.maxHeldAnswerBytes = bytes;
      this.oversizedAnswer = aboveIt;
      return this;
    }

    /** Builds the configuration. */
    public ContentSafety build() {
      if (!answerChecks.isEmpty() && answerWindow == 0) {
        throw new IllegalStateException(
            "answer checks "
                + answerChecks.stream().map(e -> e.check().name()).toList()
                + " need screenAnswers(window, overlap)");
      }
      return new ContentSafety(this);
    }
  }
}
