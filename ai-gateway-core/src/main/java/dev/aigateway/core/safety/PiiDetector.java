package dev.aigateway.core.safety;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds one kind of personal data in text, for {@link ContentSafety.Builder#pii}. The built-in
 * detectors are hand-written scanners, in time linear in the text, that err on the side of not
 * matching (a false positive redacts or blocks a harmless prompt). Content safety runs all of its
 * built-in detectors in one shared pass over each text (a character class decides which detector
 * looks closer, and only there), and each {@link #custom} one after it:
 *
 * <ul>
 *   <li>{@link #email()} ({@code EMAIL}): {@code local@domain.tld}, the top-level domain letters
 *       only, so {@code pkg@1.2.3} in a URL is not one; a URL's user part ({@code //user@host}) and
 *       a handle ({@code /@alice}) are not either;
 *   <li>{@link #phone()} ({@code PHONE}): international numbers written with a plus ({@code +44 20
 *       7946 0958}, 8 to 15 digits, single spaces, dashes or dots between groups) and North
 *       American national numbers in their usual forms ({@code (415) 555-0132}, {@code
 *       415-555-0132}, {@code 415.555.0132}); version strings, dates and order numbers are not
 *       phone numbers. Other national forms: add a {@link #custom} detector;
 *   <li>{@link #cardNumber()} ({@code CARD}): 13 to 19 digits, optionally grouped by single spaces
 *       or dashes, starting with 2 to 6 (the payment networks' ranges) and passing the Luhn check;
 *   <li>{@link #iban()} ({@code IBAN}): two capital letters, two check digits and 11 to 30 letters
 *       or digits (compact or in groups of four), whose ISO 13616 mod-97 check holds;
 *   <li>{@link #usSsn()} ({@code US_SSN}): {@code 123-45-6789} (dashes or spaces), never area 000,
 *       666 or 900-999, group 00 or serial 0000 (numbers the SSA never issues); nine bare digits
 *       are too often something else to be taken for one.
 * </ul>
 *
 * <p>The built-in detectors read a character a model reads as an ASCII one as that character: a
 * full-width digit, letter, {@code @}, {@code +} or dash, another script's decimal digit (beyond
 * the BMP too), a mathematical alphanumeric digit or letter (U+1D400 to U+1D7FF, written as
 * surrogate pairs), a Unicode dash or space between groups ({@code ４１１１ １１１１ １１１１ １１１１} is a card
 * number); what they find is where it is in the text. A {@link #custom} detector's pattern sees the
 * text as written.
 *
 * <p>Immutable and thread-safe.
 */
public abstract class PiiDetector {

  private static final PiiDetector EMAIL = new BuiltIn(PiiScan.EMAIL);
  private static final PiiDetector PHONE = new BuiltIn(PiiScan.PHONE);
  private static final PiiDetector CARD = new BuiltIn(PiiScan.CARD);
  private static final PiiDetector IBAN = new BuiltIn(PiiScan.IBAN);
  private static final PiiDetector US_SSN = new BuiltIn(PiiScan.US_SSN);

  private final String kind;

  PiiDetector(String kind) {
    if (kind.isBlank()) {
      throw new IllegalArgumentException("a detector's kind must not be blank");
    }
    this.kind = kind;
  }

  /** The kind of data found, as placeholders and events name it, for example {@code EMAIL}. */
  public String kind() {
    return kind;
  }

  /** Adds where this detector finds its data in {@code text}, in order. */
  abstract void find(String text, Spans out);

  /**
   * How many pieces of this detector's data {@code text} holds (what a redaction would replace);
   * for trying a detector on samples, and for measuring it.
   */
  public int countIn(String text) {
    Spans spans = new Spans();
    find(text, spans);
    return spans.size();
  }

  /**
   * How many pieces of personal data {@code detectors} find in {@code text} together, scanned as
   * content safety scans a prompt: the built-in detectors in one shared pass, each custom one on
   * its own. The same as the sum of their {@link #countIn(String)}; for measuring the scan.
   *
   * @throws IllegalArgumentException when a built-in detector is listed twice
   */
  public static int countIn(String text, Collection<PiiDetector> detectors) {
    Objects.requireNonNull(text, "text");
    int[] slots = {-1, -1, -1, -1, -1};
    List<PiiDetector> customs = List.of();
    for (PiiDetector detector : detectors) {
      if (detector instanceof BuiltIn builtIn) {
        if (slots[builtIn.slot()] >= 0) {
          throw new IllegalArgumentException(
              "personal data of kind " + builtIn.kind() + " is checked twice");
        }
        slots[builtIn.slot()] = 0;
      } else {
        customs = customs.isEmpty() ? new ArrayList<>() : customs;
        customs.add(detector);
      }
    }
    Spans spans = new Spans();
    new PiiScan(slots).find(text, spans);
    for (PiiDetector custom : customs) {
      custom.find(text, spans);
    }
    return spans.size();
  }

  /** E-mail addresses ({@code EMAIL}). */
  public static PiiDetector email() {
    return EMAIL;
  }

  /** International ({@code +...}) and North American phone numbers ({@code PHONE}). */
  public static PiiDetector phone() {
    return PHONE;
  }

  /** Payment card numbers that pass the Luhn check ({@code CARD}). */
  public static PiiDetector cardNumber() {
    return CARD;
  }

  /** IBANs whose mod-97 check holds ({@code IBAN}). */
  public static PiiDetector iban() {
    return IBAN;
  }

  /** US social security numbers in their written form, by the SSA's validity rules. */
  public static PiiDetector usSsn() {
    return US_SSN;
  }

  /** Every built-in detector: e-mail, phone, card number, IBAN, US SSN. */
  public static List<PiiDetector> defaults() {
    return List.of(EMAIL, PHONE, CARD, IBAN, US_SSN);
  }

  /**
   * A detector of your own: every match of {@code pattern} is data of {@code kind}. Write the
   * pattern so that it cannot backtrack catastrophically (possessive quantifiers, bounded runs); it
   * runs on every text of every checked call.
   *
   * <pre>{@code
   * PiiDetector employeeId = PiiDetector.custom("EMPLOYEE_ID", Pattern.compile("\\bEMP-\\d{6}\\b"));
   * }</pre>
   */
  public static PiiDetector custom(String kind, Pattern pattern) {
    return new Custom(Objects.requireNonNull(kind, "kind"), pattern);
  }

  @Override
  public String toString() {
    return "PiiDetector{" + kind + "}";
  }

  /** A built-in detector: its slot in the shared one-pass scan ({@link PiiScan}). */
  static final class BuiltIn extends PiiDetector {
    private final int slot;
    private final PiiScan alone;

    private BuiltIn(int slot) {
      super(PiiScan.KINDS[slot]);
      this.slot = slot;
      this.alone = PiiScan.single(slot);
    }

    int slot() {
      return slot;
    }

    @Override
    void find(String text, Spans out) {
      alone.find(text, out);
    }
  }

  private static final class Custom extends PiiDetector {
    private final Pattern pattern;

    Custom(String kind, Pattern pattern) {
      super(kind);
      this.pattern = Objects.requireNonNull(pattern, "pattern");
    }

    @Override
    void find(String text, Spans out) {
      Matcher m = pattern.matcher(text);
      while (m.find()) {
        if (m.end() > m.start()) {
          out.add(m.start(), m.end(), kind());
        }
      }
    }

    @Override
    public String toString() {
      return "PiiDetector{" + kind() + " /" + pattern.pattern() + "/}";
    }
  }
}
