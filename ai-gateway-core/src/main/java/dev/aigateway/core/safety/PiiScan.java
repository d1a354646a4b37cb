package dev.aigateway.core.safety;

/**
 * The built-in personal-data detectors in one pass over a text. Each character is classified once
 * (a lower-case letter or a space, most of an English prompt, costs two comparisons) and a
 * detector's validation runs only where its trigger fires:
 *
 * <ul>
 *   <li>{@code @}: an e-mail candidate (the local part is walked back from it);
 *   <li>a digit that starts a token: phone (North American), card and SSN candidates;
 *   <li>{@code +} or {@code (} that starts a token: phone candidates;
 *   <li>a capital letter that starts a token: an IBAN candidate (two capitals, two digits).
 * </ul>
 *
 * <p>Each detector keeps its own resume position, so what it finds is exactly what it would find on
 * its own: one detector's match never hides another's overlapping candidate. No regular expression,
 * no allocation: the card's Luhn sum and the IBAN's mod-97 are computed as the digits pass. Each
 * span is tagged with the configured rule of its detector. Immutable and thread-safe.
 */
final class PiiScan {

  static final int EMAIL = 0;
  static final int PHONE = 1;
  static final int CARD = 2;
  static final int IBAN = 3;
  static final int US_SSN = 4;
  static final int SLOTS = 5;

  static final String[] KINDS = {"EMAIL", "PHONE", "CARD", "IBAN", "US_SSN"};

  private static final int OFF = Integer.MAX_VALUE;

  /** Per slot: the rule tag of its spans, or -1 when the detector is off. */
  private final int[] tags;

  /** A scan of the detectors whose slots have a tag of 0 or more in {@code tags}. */
  PiiScan(int[] tags) {
    if (tags.length != SLOTS) {
      throw new IllegalArgumentException("one tag per built-in detector: " + tags.length);
    }
    this.tags = tags.clone();
  }

  /** A scan of one detector, its spans tagged 0. */
  static PiiScan single(int slot) {
    int[] tags = {-1, -1, -1, -1, -1};
    tags[slot] = 0;
    return new PiiScan(tags);
  }

  private int from(int slot) {
    return tags[slot] < 0 ? OFF : 0;
  }

  private void add(Spans out, int slot, int start, int end) {
    out.add(start, end, KINDS[slot], tags[slot]);
  }

  /**
   * Adds what the enabled detectors find in {@code t}, each detector's spans in order. A text that
   * holds characters a model reads as ASCII ones (see {@link #readsAs}: full-width forms, other
   * scripts' digits, Unicode dashes and spaces) is scanned as it reads: such characters are taken
   * for their ASCII forms, one for one, so every span is where it is in {@code t}.
   */
  void find(String t, Spans out) {
    int mark = out.size();
    if (!scan(t, out, true)) {
      out.truncate(mark); // what the first pass found before such a character is found again
      if (!hasSurrogates(t)) {
        scan(asRead(t), out, false);
        return;
      }
      // A character beyond the BMP that reads as an ASCII one (a mathematical digit, U+1D7CE...)
      // is two chars in t and one in the text read: spans found there are moved back to t's.
      int[] positions = new int[t.length() + 1];
      String read = asReadByCodePoint(t, positions);
      scan(read, out, false);
      out.move(mark, positions);
    }
  }

  private static boolean hasSurrogates(String t) {
    for (int i = 0; i < t.length(); i++) {
      if (Character.isSurrogate(t.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code t} as read ({@link #asRead}), a character beyond the BMP that reads as an ASCII one
   * ({@link #readsAs(int)}) taken as that one char; {@code positions[k]} is where the text read's
   * position {@code k} is in {@code t} (its length maps to {@code t}'s).
   */
  static String asReadByCodePoint(String t, int[] positions) {
    StringBuilder read = new StringBuilder(t.length());
    int i = 0;
    while (i < t.length()) {
      char c = t.charAt(i);
      positions[read.length()] = i;
      if (Character.isHighSurrogate(c) && i + 1 < t.length()) {
        int cp = t.codePointAt(i);
        int as = readsAs(cp);
        if (as >= 0) {
          read.append((char) as);
          i += Character.charCount(cp);
          continue;
        }
      }
      read.append(readsAs(c));
      i++;
    }
    positions[read.length()] = t.length();
    return read.toString();
  }

  /**
   * The ASCII character a model reads a code point beyond the BMP as, or -1 when it is none: a
   * decimal digit of any script (the mathematical digits U+1D7CE to U+1D7FF, which NFKC maps to
   * ASCII digits; Osmanya's, Adlam's...) as its ASCII digit, a mathematical alphanumeric letter
   * (U+1D400 to U+1D6A3, bold, italic, script...) as its ASCII letter.
   */
  static int readsAs(int codePoint) {
    if (Character.getType(codePoint) == Character.DECIMAL_DIGIT_NUMBER) {
      return '0' + Character.digit(codePoint, 10);
    }
    if (codePoint >= 0x1D400 && codePoint <= 0x1D6A3) {
      String nfkc =
          java.text.Normalizer.normalize(
              new String(Character.toChars(codePoint)), java.text.Normalizer.Form.NFKC);
      if (nfkc.length() == 1 && nfkc.charAt(0) < 0x80 && Character.isLetter(nfkc.charAt(0))) {
        return nfkc.charAt(0);
      }
    }
    return -1;
  }

  /**
   * The scan itself; with {@code stopAtForms}, returns false as soon as it meets a character {@link
   * #readsAs} another (the text must then be scanned {@linkplain #asRead as read}).
   */
  private boolean scan(String t, Spans out, boolean stopAtForms) {
    int n = t.length();
    int emailFrom = from(EMAIL);
    int phoneFrom = from(PHONE);
    int cardFrom = from(CARD);
    int ibanFrom = from(IBAN);
    int ssnFrom = from(US_SSN);
    boolean afterAlnum = false; // whether t[i - 1] is a letter or digit: no token starts at i
    for (int i = 0; i < n; i++) {
      char c = t.charAt(i);
      if (c >= 'a') { // lower-case letters and everything above: no detector starts here
        if (c <= 'z') {
          afterAlnum = true;
        } else if (c >= 0x80) {
          if (stopAtForms
              && (readsAs(c) != c
                  || (Character.isHighSurrogate(c) && readsAs(t.codePointAt(i)) >= 0))) {
            return false;
          }
          afterAlnum = Character.isLetter(c);
        } else {
          afterAlnum = false; // { | } ~ DEL
        }
        continue;
      }
      if (c <= ' ') {
        afterAlnum = false;
        continue;
      }
      if (c >= 'A') {
        if (c <= 'Z') {
          if (!afterAlnum && i >= ibanFrom && i + 15 <= n) {
            int end = iban(t, i);
            if (end > 0) {
              add(out, IBAN, i, end);
              ibanFrom = end;
            }
          }
          afterAlnum = true;
        } else {
          afterAlnum = false; // [ \ ] ^ _ `
        }
        continue;
      }
      if (c >= '0' && c <= '9') {
        if (!afterAlnum) {
          if (i >= phoneFrom && (i == 0 || t.charAt(i - 1) != '.')) {
            int end = northAmerican(t, i);
            if (end > 0) {
              add(out, PHONE, i, end);
              phoneFrom = end;
            }
          }
          if (c >= '2' && c <= '6' && i >= cardFrom) {
            cardFrom = card(t, i, out);
          }
          if (c <= '8' && i >= ssnFrom && i + 11 <= n && ssn(t, i)) {
            add(out, US_SSN, i, i + 11);
            ssnFrom = i + 11;
          }
        }
        afterAlnum = true;
        continue;
      }
      if (c == '@') {
        if (i >= emailFrom) {
          int end = email(t, i, out);
          if (end > 0) {
            emailFrom = end;
          }
        }
      } else if (!afterAlnum && i >= phoneFrom) {
        int end = -1;
        if (c == '+' && i + 1 < n && digit(t.charAt(i + 1))) {
          end = international(t, i + 1);
        } else if (c == '(') {
          end = northAmericanInParentheses(t, i);
        }
        if (end > 0) {
          add(out, PHONE, i, end);
          phoneFrom = end;
        }
      }
      afterAlnum = false;
    }
    return true;
  }

  /**
   * The ASCII character a model reads {@code c} as, or {@code c} itself: a full-width form (U+FF01
   * to U+FF5E) as its ASCII character, a decimal digit of another script ({@code ０}, {@code ٣}) as
   * its ASCII digit, a Unicode dash ({@code ‐}, {@code –}) as {@code -}, and a Unicode space (a
   * no-break space, an ideographic space) as a space.
   */
  static char readsAs(char c) {
    if (c < 0xA0) {
      return c;
    }
    if (c >= '\uFF01' && c <= '\uFF5E') {
      return (char) (c - 0xFEE0);
    }
    return switch (Character.getType(c)) {
      case Character.DECIMAL_DIGIT_NUMBER -> (char) ('0' + Character.digit(c, 10));
      case Character.DASH_PUNCTUATION -> '-';
      case Character.SPACE_SEPARATOR -> ' ';
      default -> c;
    };
  }

  /** {@code t} with every character replaced by the one a model reads it as ({@link #readsAs}). */
  static String asRead(String t) {
    char[] chars = t.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      chars[i] = readsAs(chars[i]);
    }
    return new String(chars);
  }

  // ---- character classes

  static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean alnum(char c) {
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || Character.isLetter(c);
  }

  private static boolean upper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  /**
   * Whether a token may start at {@code i}: the text starts there or no letter or digit precedes.
   */
  static boolean startsToken(String t, int i) {
    return i == 0 || !alnum(t.charAt(i - 1));
  }

  /** Whether a token may end at {@code i}: the text ends there or no letter or digit follows. */
  static boolean endsToken(String t, int i) {
    return i >= t.length() || !alnum(t.charAt(i));
  }

  static boolean digits(String t, int from, int count) {
    if (from + count > t.length()) {
      return false;
    }
    for (int k = from; k < from + count; k++) {
      if (!digit(t.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  // ---- e-mail

  private static boolean localChar(char c) {
    return alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
  }

  /** The address around the {@code @} at {@code at}: added, and its end returned; else -1. */
  private int email(String t, int at, Spans out) {
    int n = t.length();
    int s = at;
    while (s > 0 && localChar(t.charAt(s - 1))) {
      s--;
    }
    if (s == at || t.charAt(s) == '.' || t.charAt(at - 1) == '.') {
      return -1;
    }
    if (s >= 2 && t.charAt(s - 1) == '/' && t.charAt(s - 2) == '/') {
      return -1; // a URL's user part: scheme://user@host
    }
    int j = at + 1;
    int lastDot = -1;
    while (j < n) {
      char c = t.charAt(j);
      if (alnum(c) || c == '-') {
        j++;
      } else if (c == '.' && j + 1 < n && alnum(t.charAt(j + 1)) && t.charAt(j - 1) != '.') {
        lastDot = j++;
      } else {
        break;
      }
    }
    if (lastDot <= at + 1 || j - lastDot - 1 < 2) {
      return -1;
    }
    for (int k = lastDot + 1; k < j; k++) {
      char c = t.charAt(k);
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        return -1; // the top-level domain is letters only
      }
    }
    add(out, EMAIL, s, j);
    return j;
  }

  // ---- phone

  /** {@code +} then 8 to 15 digits, single separators between groups; the end or -1. */
  private static int international(String t, int i) {
    if (t.charAt(i) == '0') {
      return -1;
    }
    int n = t.length();
    int digits = 0;
    int j = i;
    while (j < n) {
      char c = t.charAt(j);
      if (digit(c)) {
        digits++;
        j++;
      } else if ((c == ' ' || c == '-' || c == '.') && j + 1 < n && digit(t.charAt(j + 1))) {
        j++;
      } else {
        break;
      }
    }
    return digits >= 8 && digits <= 15 && endsToken(t, j) ? j : -1;
  }

  /** {@code ddd[-. ]ddd[same]dddd}; the end or -1. */
  private static int northAmerican(String t, int i) {
    if (i + 12 > t.length()) {
      return -1;
    }
    char sep = t.charAt(i + 3);
    if (sep != '-' && sep != '.' && sep != ' ') {
      return -1;
    }
    if (!digits(t, i, 3) || t.charAt(i + 7) != sep || !digits(t, i + 4, 3)) {
      return -1;
    }
    if (!digits(t, i + 8, 4) || !endsNumber(t, i + 12)) {
      return -1;
    }
    return t.charAt(i) >= '2' && t.charAt(i + 4) >= '2' ? i + 12 : -1;
  }

  /** {@code (ddd) ddd-dddd} or {@code (ddd)ddd-dddd}; the end or -1. */
  private static int northAmericanInParentheses(String t, int i) {
    int n = t.length();
    if (i + 13 > n || !digits(t, i + 1, 3) || t.charAt(i + 4) != ')') {
      return -1;
    }
    int j = i + 5;
    if (j < n && t.charAt(j) == ' ') {
      j++;
    }
    if (j + 8 > n || !digits(t, j, 3) || t.charAt(j + 3) != '-' || !digits(t, j + 4, 4)) {
      return -1;
    }
    return t.charAt(i + 1) >= '2' && t.charAt(j) >= '2' && endsNumber(t, j + 8) ? j + 8 : -1;
  }

  /** Not followed by a letter, a digit, or a separator and a digit (a longer number). */
  private static boolean endsNumber(String t, int i) {
    if (!endsToken(t, i)) {
      return false;
    }
    if (i + 1 < t.length()) {
      char c = t.charAt(i);
      return !((c == '-' || c == '.') && digit(t.charAt(i + 1)));
    }
    return true;
  }

  // ---- card

  /**
   * The run of digits (single spaces or dashes between them) starting at {@code i}: added when it
   * is 13 to 19 digits passing the Luhn check. Returns where the card detector resumes: after the
   * whole run of digits, spaces and dashes, matched or not (a longer run is no card, nor any part
   * of it).
   */
  private int card(String t, int i, Spans out) {
    int n = t.length();
    int count = 0;
    // Luhn sums by position from the left, doubling odd positions (even) or even ones (odd); the
    // count's parity picks the one whose doubled digits are every second from the right.
    int even = 0;
    int odd = 0;
    int j = i;
    while (j < n) {
      char d = t.charAt(j);
      if (digit(d)) {
        if (count == 19) {
          count++; // too long to be a card
          break;
        }
        int v = d - '0';
        int doubled = v < 5 ? 2 * v : 2 * v - 9;
        if ((count & 1) == 0) {
          even += v;
          odd += doubled;
        } else {
          even += doubled;
          odd += v;
        }
        count++;
        j++;
      } else if ((d == ' ' || d == '-') && j + 1 < n && digit(t.charAt(j + 1))) {
        j++;
      } else {
        break;
      }
    }
    if (count >= 13 && count <= 19 && endsToken(t, j)) {
      int sum = (count & 1) == 1 ? even : odd;
      if (sum % 10 == 0) {
        add(out, CARD, i, j);
      }
    }
    while (j < n && (digit(t.charAt(j)) || t.charAt(j) == ' ' || t.charAt(j) == '-')) {
      j++; // the rest of a run too long to be a card
    }
    return j + 1;
  }

  // ---- IBAN

  /**
   * The IBAN starting at {@code i} (two capitals there, checked here: two digits, then capitals and
   * digits, single spaces allowed before each): its longest prefix of at least 15 characters ending
   * a token whose ISO 13616 mod-97 is 1; its end, or -1.
   */
  private static int iban(String t, int i) {
    if (!upper(t.charAt(i + 1)) || !digit(t.charAt(i + 2)) || !digit(t.charAt(i + 3))) {
      return -1;
    }
    int n = t.length();
    // The check moves the first four characters to the end: their value (letters as 10 to 35,
    // two decimal digits each) is six digits, so mod97 = (rest * 10^6 + head) mod 97.
    int head =
        mod97Step(
            mod97Step(mod97Step(mod97Step(0, t.charAt(i)), t.charAt(i + 1)), t.charAt(i + 2)),
            t.charAt(i + 3));
    int rest = 0;
    int length = 4;
    int j = i + 4;
    int best = -1;
    while (j < n && length <= 34) {
      char c = t.charAt(j);
      if (upper(c) || digit(c)) {
        rest = mod97Step(rest, c);
        length++;
        j++;
        if (length >= 15 && endsToken(t, j) && (rest * 1_000_000 + head) % 97 == 1) {
          best = j;
        }
      } else if (c == ' ' && j + 1 < n && alnum(t.charAt(j + 1))) {
        j++;
      } else {
        break;
      }
    }
    return best;
  }

  /** {@code r} with the character appended: a digit as one decimal digit, a capital as two. */
  static int mod97Step(int r, char c) {
    int v = digit(c) ? c - '0' : c - 'A' + 10;
    return v < 10 ? (r * 10 + v) % 97 : (r * 100 + v) % 97;
  }

  // ---- US SSN

  /** {@code ddd-dd-dddd} or with spaces at {@code i} (within the text), by the SSA's rules. */
  private static boolean ssn(String t, int i) {
    int n = t.length();
    char sep = t.charAt(i + 3);
    if ((sep != '-' && sep != ' ')
        || t.charAt(i + 6) != sep
        || !digits(t, i, 3)
        || !digits(t, i + 4, 2)
        || !digits(t, i + 7, 4)
        || !endsToken(t, i + 11)
        || (i + 12 < n && t.charAt(i + 11) == sep && digit(t.charAt(i + 12)))) {
      return false;
    }
    int area = Integer.parseInt(t, i, i + 3, 10);
    int group = Integer.parseInt(t, i + 4, i + 6, 10);
    int serial = Integer.parseInt(t, i + 7, i + 11, 10);
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
  }
}
