package dev.aigateway.core.telemetry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Masks secrets and personal data in text before the gateway writes it anywhere (see {@link
 * PromptLog}). Immutable and thread-safe; the steps run in the order they were added.
 *
 * <pre>{@code
 * Redaction redaction = Redaction.builder()
 *     .bearerTokens().apiKeys().emails().cardNumbers()          // = Redaction.defaults()
 *     .pattern(Pattern.compile("\\bEMP-\\d{6}\\b"), "[employee]")
 *     .custom(text -> text.replace("Project Falcon", "[project]"))
 *     .build();
 * }</pre>
 *
 * <p>The built-in masks:
 *
 * <ul>
 *   <li>{@link Builder#bearerTokens()}: {@code Bearer <token>} (any case) becomes {@value
 *       #BEARER_TOKEN}, when the token has a digit or at least 16 characters (so the prose "the
 *       bearer of bad news" is kept); {@code Basic <credentials>} (any case) becomes {@code Basic}
 *       {@value #BASIC_CREDENTIALS} when the credentials are base64 of {@code user:password} (so
 *       "basic research" is kept);
 *   <li>{@link Builder#apiKeys()}: OpenAI-style keys ({@code sk-} or {@code sk-proj-} and at least
 *       16 key characters) become {@value #API_KEY}, as does the value of any assignment whose name
 *       ends in {@code key}, {@code secret} or {@code token} ({@code api-key: ...}, {@code
 *       "x-api-key":"..."}, {@code OPENAI_API_KEY=...}, {@code ?key=...}, {@code
 *       client_secret=...}) when the value has at least 8 characters, a letter and a digit; and the
 *       value of a name that ends in {@code password}, {@code passwd}, {@code passphrase} or {@code
 *       pwd} ({@code password=...}, {@code "db_password": "..."}, {@code &pwd=...}) becomes {@value
 *       #PASSWORD}, up to the next blank, quote or {@code &}, when it has at least 4 characters and
 *       is assigned with {@code =}, quoted, or not letters only (so "choose a password: it must be
 *       long" is kept);
 *   <li>{@link Builder#emails()}: e-mail addresses become {@value #EMAIL};
 *   <li>{@link Builder#cardNumbers()}: card numbers become {@value #CARD}: 13 to 19 digits,
 *       optionally in groups joined by single spaces or dashes, that pass the Luhn check (so order
 *       and phone numbers are kept).
 * </ul>
 *
 * <p>Every built-in runs in time linear in the text.
 */
public final class Redaction {

  /** What an e-mail address is replaced with. */
  public static final String EMAIL = "[email]";

  /** What a card number is replaced with. */
  public static final String CARD = "[card]";

  /** What {@code Bearer <token>} is replaced with. */
  public static final String BEARER_TOKEN = "Bearer [token]";

  /** What an API key (or a secret assigned to a key-like name) is replaced with. */
  public static final String API_KEY = "[api-key]";

  /** What the value assigned to a password-like name is replaced with. */
  public static final String PASSWORD = "[password]";

  /** What the credentials after {@code Basic} (base64 of {@code user:password}) become. */
  public static final String BASIC_CREDENTIALS = "[credentials]";

  // Each pattern starts only where its token starts (a negative lookbehind) and uses possessive
  // quantifiers, so no input makes the engine backtrack over a long run.
  private static final Pattern EMAIL_ADDRESS =
      Pattern.compile(
          "(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]++(?:\\.[A-Za-z0-9-]++)++");
  private static final Pattern DIGIT_RUN = Pattern.compile("[0-9]++(?:[ -][0-9]++)*+");
  private static final Pattern BEARER =
      Pattern.compile("(?i)\\bbearer\\s++([A-Za-z0-9._~+/-]++=*+)");
  private static final Pattern BASIC =
      Pattern.compile("(?i)(?<![A-Za-z0-9_-])(basic)[ \\t]++([A-Za-z0-9+/]{4,}+=*+)");
  private static final Pattern PASSWORD_ASSIGNMENT =
      Pattern.compile(
          "(?i)(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*?(?:password|passwd|passphrase|pwd)"
              + "\\\\?['\"]?[ \\t]*+[:=][ \\t]*+\\\\?['\"]?)([^\\s'\"&\\\\]++)");
  private static final Pattern SK_KEY = Pattern.compile("(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{16,}+");
  private static final Pattern KEY_ASSIGNMENT =
      Pattern.compile(
          "(?i)(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*?(?:key|secret|token)"
              + "\\\\?['\"]?[ \\t]*+[:=][ \\t]*+\\\\?['\"]?)([A-Za-z0-9._~+/=-]++)");

  private static final int MIN_CARD_DIGITS = 13;
  private static final int MAX_CARD_DIGITS = 19;

  private static final UnaryOperator<String> EMAILS =
      text -> text.indexOf('@') < 0 ? text : replace(EMAIL_ADDRESS, text, m -> EMAIL);
  private static final UnaryOperator<String> CARD_NUMBERS = Redaction::maskCardNumbers;
  private static final UnaryOperator<String> BEARER_ONLY =
      text ->
          replace(
              BEARER,
              text,
              m -> hasDigit(m.group(1)) || m.group(1).length() >= 16 ? BEARER_TOKEN : null);
  private static final UnaryOperator<String> BASIC_AUTH =
      text ->
          replace(
              BASIC,
              text,
              m -> isUserAndPassword(m.group(2)) ? m.group(1) + " " + BASIC_CREDENTIALS : null);
  private static final UnaryOperator<String> PASSWORDS =
      text ->
          replace(
              PASSWORD_ASSIGNMENT,
              text,
              m -> isPasswordLike(m.group(1), m.group(2)) ? m.group(1) + PASSWORD : null);
  private static final UnaryOperator<String> KEYS_ONLY =
      text ->
          replace(
              KEY_ASSIGNMENT,
              replace(SK_KEY, text, m -> API_KEY),
              m -> isSecretLike(m.group(2)) ? m.group(1) + API_KEY : null);

  private static final UnaryOperator<String> BEARER_TOKENS =
      text -> BASIC_AUTH.apply(BEARER_ONLY.apply(text));
  private static final UnaryOperator<String> API_KEYS =
      text -> PASSWORDS.apply(KEYS_ONLY.apply(text));

  private static final Redaction NONE = new Redaction(List.of());
  private static final Redaction DEFAULTS =
      builder().bearerTokens().apiKeys().emails().cardNumbers().build();

  private final List<UnaryOperator<String>> steps;

  private Redaction(List<UnaryOperator<String>> steps) {
    this.steps = List.copyOf(steps);
  }

  /** Every built-in mask: bearer tokens, API keys, e-mail addresses and card numbers. */
  public static Redaction defaults() {
    return DEFAULTS;
  }

  /** No masking at all: {@link #redact} returns its input. */
  public static Redaction none() {
    return NONE;
  }

  /** A builder with no steps; add built-ins and patterns in the order they should run. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The text with every step applied, in order; null stays null.
   *
   * @throws RuntimeException whatever a {@link Builder#custom} step throws
   */
  public @Nullable String redact(@Nullable String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String result = text;
    for (UnaryOperator<String> step : steps) {
      result = step.apply(result);
    }
    return result;
  }

  @Override
  public String toString() {
    return "Redaction{" + steps.size() + " steps}";
  }

  /** Replaces each match for which {@code replacement} gives non-null; {@code text} if none. */
  private static String replace(
      Pattern pattern, String text, Function<Matcher, String> replacement) {
    Matcher m = pattern.matcher(text);
    StringBuilder out = null;
    int copied = 0;
    while (m.find()) {
      String r = replacement.apply(m);
      if (r != null) {
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copied, m.start()).append(r);
        copied = m.end();
      }
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
  }

  /**
   * Masks, in each run of digit groups, the longest Luhn-valid stretch of whole groups with 13 to
   * 19 digits, leftmost first. Whole groups only, so a card behind a quantity ("2 4111 1111 1111
   * 1111") is still found and the tail of a longer number never is.
   */
  private static String maskCardNumbers(String text) {
    Matcher m = DIGIT_RUN.matcher(text);
    StringBuilder out = null;
    int copied = 0;
    int[] starts = new int[8];
    int[] ends = new int[8];
    while (m.find()) {
      if (m.end() - m.start() < MIN_CARD_DIGITS) {
        continue;
      }
      int groups = 0;
      for (int i = m.start(); i < m.end(); ) {
        int end = i;
        while (end < m.end() && isDigit(text.charAt(end))) {
          end++;
        }
        if (groups == starts.length) {
          starts = Arrays.copyOf(starts, groups * 2);
          ends = Arrays.copyOf(ends, groups * 2);
        }
        starts[groups] = i;
        ends[groups++] = end;
        i = end + 1;
      }
      for (int first = 0; first < groups; ) {
        int card = -1;
        int digits = 0;
        for (int last = first; last < groups; last++) {
          digits += ends[last] - starts[last];
          if (digits > MAX_CARD_DIGITS) {
            break;
          }
          if (digits >= MIN_CARD_DIGITS && luhnValid(text, starts[first], ends[last])) {
            card = last;
          }
        }
        if (card < 0) {
          first++;
          continue;
        }
        if (out == null) {
          out = new StringBuilder(text.length());
        }
        out.append(text, copied, starts[first]).append(CARD);
        copied = ends[card];
        first = card + 1;
      }
    }
    return out == null ? text : out.append(text, copied, text.length()).toString();
  }

  /** The Luhn check over the digits in {@code text[from, to)}, skipping separators. */
  private static boolean luhnValid(String text, int from, int to) {
    int sum = 0;
    boolean doubled = false;
    for (int i = to - 1; i >= from; i--) {
      char c = text.charAt(i);
      if (!isDigit(c)) {
        continue;
      }
      int d = c - '0';
      if (doubled) {
        d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      }
      sum += d;
      doubled = !doubled;
    }
    return sum % 10 == 0;
  }

  /**
   * Whether {@code base64} (after {@code Basic}) decodes to {@code user:password}, as HTTP Basic
   * credentials do (RFC 7617); a word such as "research" after "basic" does not.
   */
  private static boolean isUserAndPassword(String base64) {
    String padded =
        switch (base64.indexOf('=') >= 0 ? 0 : base64.length() % 4) {
          case 2 -> base64 + "==";
          case 3 -> base64 + "=";
          default -> base64; // whole, padded, or not base64 (the decoder says)
        };
    byte[] decoded;
    try {
      decoded = java.util.Base64.getDecoder().decode(padded);
    } catch (IllegalArgumentException e) {
      return false;
    }
    for (byte b : decoded) {
      if (b == ':') {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code value}, assigned to a password-like name by {@code assignment}, is a password
   * rather than prose ("choose a password: it must be long"): at least 4 characters, and assigned
   * with {@code =} or in quotes, or not letters only.
   */
  private static boolean isPasswordLike(String assignment, String value) {
    if (value.length() < 4) {
      return false;
    }
    if (assignment.indexOf('=') >= 0
        || assignment.indexOf('"') >= 0
        || assignment.indexOf('\'') >= 0) {
      return true;
    }
    for (int i = 0; i < value.length(); i++) {
      if (!Character.isLetter(value.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSecretLike(String value) {
    if (value.length() < 8 || !hasDigit(value)) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isLetter(value.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasDigit(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (isDigit(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** Builds a {@link Redaction}; each step runs in the order it was added. */
  public static final class Builder {
    private final List<UnaryOperator<String>> steps = new ArrayList<>();

    private Builder() {}

    /** Masks e-mail addresses as {@value Redaction#EMAIL}. */
    public Builder emails() {
      return add(EMAILS);
    }

    /** Masks Luhn-valid card numbers (13 to 19 digits) as {@value Redaction#CARD}. */
    public Builder cardNumbers() {
      return add(CARD_NUMBERS);
    }

    /**
     * Masks {@code Bearer <token>} (any case) as {@value Redaction#BEARER_TOKEN}, and HTTP Basic
     * credentials ({@code Basic <base64 of user:password>}) as {@code Basic} {@value
     * Redaction#BASIC_CREDENTIALS}.
     */
    public Builder bearerTokens() {
      return add(BEARER_TOKENS);
    }

    /**
     * Masks {@code sk-} keys and values of key-like names as {@value Redaction#API_KEY}, and values
     * of password-like names as {@value Redaction#PASSWORD}.
     */
    public Builder apiKeys() {
      return add(API_KEYS);
    }

    /**
     * Replaces every match of {@code pattern}. The replacement is read as by {@link
     * Matcher#replaceAll(String)}: {@code $1} refers to a group, and a literal {@code $} or {@code
     * \} must be escaped (see {@link Matcher#quoteReplacement}).
     */
    public Builder pattern(Pattern pattern, String replacement) {
      Objects.requireNonNull(pattern, "pattern");
      Objects.requireNonNull(replacement, "replacement");
      return add(text -> pattern.matcher(text).replaceAll(replacement));
    }

    /**
     * Runs any function over the text. It must be thread-safe and return non-null; when it throws,
     * {@link PromptLog} writes a marker instead of the text.
     */
    public Builder custom(UnaryOperator<String> step) {
      return add(Objects.requireNonNull(step, "step"));
    }

    /** The redaction; steps added twice run once. */
    public Redaction build() {
      return new Redaction(steps);
    }

    private Builder add(UnaryOperator<String> step) {
      if (!steps.contains(step)) {
        steps.add(step);
      }
      return this;
    }
  }
}
