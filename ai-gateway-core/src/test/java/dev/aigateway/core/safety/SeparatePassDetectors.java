package dev.aigateway.core.safety;

/**
 * The built-in detectors as they were before they shared one pass: each walked the whole text on
 * its own. Kept in the tests as the reference the shared pass must agree with, text for text.
 */
final class SeparatePassDetectors {

  private SeparatePassDetectors() {}

  static final PiiDetector EMAIL = new Email();
  static final PiiDetector PHONE = new Phone();
  static final PiiDetector CARD = new Card();
  static final PiiDetector IBAN = new Iban();
  static final PiiDetector US_SSN = new UsSsn();

  // ---- scanners

  static boolean digit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean alnum(char c) {
    return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || Character.isLetter(c);
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

  static final class Email extends PiiDetector {
    Email() {
      super("EMAIL");
    }

    private static boolean localChar(char c) {
      return alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
    }

    @Override
    void find(String t, Spans out) {
      int n = t.length();
      for (int at = t.indexOf('@'); at >= 0; at = t.indexOf('@', at + 1)) {
        int s = at;
        while (s > 0 && localChar(t.charAt(s - 1))) {
          s--;
        }
        if (s == at || t.charAt(s) == '.' || t.charAt(at - 1) == '.') {
          continue;
        }
        if (s >= 2 && t.charAt(s - 1) == '/' && t.charAt(s - 2) == '/') {
          continue; // a URL's user part: scheme://user@host
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
          continue;
        }
        boolean letters = true;
        for (int k = lastDot + 1; k < j && letters; k++) {
          char c = t.charAt(k);
          letters = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }
        if (letters) {
          out.add(s, j, kind());
          at = j - 1;
        }
      }
    }
  }

  static final class Phone extends PiiDetector {
    Phone() {
      super("PHONE");
    }

    @Override
    void find(String t, Spans out) {
      int n = t.length();
      for (int i = 0; i < n; i++) {
        char c = t.charAt(i);
        if (c > '9' || c < '(') {
          continue; // letters, spaces, most punctuation: one comparison each
        }
        int end = -1;
        if (c == '+' && i + 1 < n && digit(t.charAt(i + 1)) && startsToken(t, i)) {
          end = international(t, i + 1);
        } else if (c == '(' && startsToken(t, i)) {
          end = northAmericanInParentheses(t, i);
        } else if (digit(c) && startsToken(t, i) && (i == 0 || t.charAt(i - 1) != '.')) {
          end = northAmerican(t, i);
        }
        if (end > 0) {
          out.add(i, end, kind());
          i = end - 1;
        }
      }
    }

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

  static final class Card extends PiiDetector {
    Card() {
      super("CARD");
    }

    @Override
    void find(String t, Spans out) {
      int n = t.length();
      int[] number = new int[19];
      for (int i = 0; i < n; i++) {
        char c = t.charAt(i);
        if (c < '2' || c > '6' || !startsToken(t, i)) {
          continue; // a card number starts with 2 to 6
        }
        int count = 0;
        int j = i;
        while (j < n) {
          char d = t.charAt(j);
          if (digit(d)) {
            if (count == number.length) {
              count++; // too long to be a card
              break;
            }
            number[count++] = d - '0';
            j++;
          } else if ((d == ' ' || d == '-') && j + 1 < n && digit(t.charAt(j + 1))) {
            j++;
          } else {
            break;
          }
        }
        if (count >= 13 && count <= 19 && endsToken(t, j)) {
          if (luhn(number, count)) {
            out.add(i, j, kind());
          }
        }
        while (j < n && (digit(t.charAt(j)) || t.charAt(j) == ' ' || t.charAt(j) == '-')) {
          j++; // the rest of a run too long to be a card
        }
        i = j;
      }
    }
  }

  /** The Luhn check of {@code number[0, count)}. */
  static boolean luhn(int[] number, int count) {
    int sum = 0;
    for (int k = 0; k < count; k++) {
      int d = number[count - 1 - k];
      if ((k & 1) == 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 == 0;
  }

  static final class Iban extends PiiDetector {
    Iban() {
      super("IBAN");
    }

    private static boolean upper(char c) {
      return c >= 'A' && c <= 'Z';
    }

    @Override
    void find(String t, Spans out) {
      int n = t.length();
      StringBuilder compact = new StringBuilder(34);
      for (int i = 0; i + 15 <= n; i++) {
        if (!upper(t.charAt(i))
            || !upper(t.charAt(i + 1))
            || !digit(t.charAt(i + 2))
            || !digit(t.charAt(i + 3))
            || !startsToken(t, i)) {
          continue;
        }
        compact.setLength(0);
        int j = i;
        int best = -1;
        while (j < n && compact.length() <= 34) {
          char c = t.charAt(j);
          if (upper(c) || digit(c)) {
            compact.append(c);
            j++;
            if (endsToken(t, j) && compact.length() >= 15 && mod97(compact) == 1) {
              best = j;
            }
          } else if (c == ' ' && j + 1 < n && alnum(t.charAt(j + 1))) {
            j++;
          } else {
            break;
          }
        }
        if (best > 0) {
          out.add(i, best, kind());
          i = best - 1;
        }
      }
    }

    /** ISO 13616: the first four characters moved to the end, letters as 10 to 35, mod 97. */
    static int mod97(CharSequence iban) {
      int n = iban.length();
      int r = 0;
      for (int k = 0; k < n; k++) {
        char c = iban.charAt((k + 4) % n);
        int v = digit(c) ? c - '0' : c - 'A' + 10;
        r = v < 10 ? (r * 10 + v) % 97 : (r * 100 + v) % 97;
      }
      return r;
    }
  }

  static final class UsSsn extends PiiDetector {
    UsSsn() {
      super("US_SSN");
    }

    @Override
    void find(String t, Spans out) {
      int n = t.length();
      for (int i = 0; i + 11 <= n; i++) {
        char first = t.charAt(i);
        if (first < '0' || first > '8' || !startsToken(t, i)) {
          continue; // areas 900 and above are never issued
        }
        char sep = t.charAt(i + 3);
        if ((sep != '-' && sep != ' ')
            || t.charAt(i + 6) != sep
            || !digits(t, i, 3)
            || !digits(t, i + 4, 2)
            || !digits(t, i + 7, 4)
            || !endsToken(t, i + 11)
            || (i + 12 < n && t.charAt(i + 11) == sep && digit(t.charAt(i + 12)))) {
          continue;
        }
        int area = Integer.parseInt(t, i, i + 3, 10);
        int group = Integer.parseInt(t, i + 4, i + 6, 10);
        int serial = Integer.parseInt(t, i + 7, i + 11, 10);
        if (area != 0 && area != 666 && area < 900 && group != 0 && serial != 0) {
          out.add(i, i + 11, kind());
          i += 10;
        }
      }
    }
  }
}
