package dev.aigateway.core.safety;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One configured text check and its action: a personal-data detector, a deny list of words, a
 * deny-list pattern. Immutable and thread-safe.
 *
 * @param check the check's name in events and metrics ({@code pii.email}, {@code deny-words})
 * @param detector the personal-data detector it runs, or null for a deny list
 */
record TextRule(String check, SafetyAction action, Finder finder, @Nullable PiiDetector detector) {

  /** Adds where it finds something in a text to the spans. */
  @FunctionalInterface
  interface Finder {
    void find(String text, Spans out);
  }

  static TextRule pii(PiiDetector detector, SafetyAction action) {
    return new TextRule(
        "pii." + detector.kind().toLowerCase(Locale.ROOT), action, detector::find, detector);
  }

  static TextRule pattern(String name, Pattern pattern, SafetyAction action) {
    return new TextRule(
        "deny-pattern",
        action,
        (text, out) -> {
          Matcher m = pattern.matcher(text);
          while (m.find()) {
            if (m.end() > m.start()) {
              out.add(m.start(), m.end(), name);
            }
          }
        },
        null);
  }

  static TextRule words(String name, List<String> words, SafetyAction action) {
    return new TextRule("deny-words", action, new WordList(name, words)::find, null);
  }

  /**
   * Whole words (or phrases), case-insensitive: found where they start and end at a word boundary;
   * the white space between a phrase's words matches any run of white space (line breaks, tabs,
   * no-break spaces). A letter is read as a model reads it: full-width letters, the mathematical
   * letters (U+1D400 to U+1D6A3, bold, italic, script...) and the BMP's letters NFKC spells with
   * ASCII ones (italic {@code ℎ}, circled {@code ⓐ}, a ligature as its letters) as their ASCII
   * forms, case folded as {@link String#equalsIgnoreCase} folds it (the Kelvin sign is a {@code k},
   * the long s an {@code s}) at a word's start as inside it; invisible format characters inside a
   * word (zero-width spaces and joiners, soft hyphens) and the generic combining diacritics laid
   * over its letters (strike-through, accents written as separate marks) are read past. Candidates
   * are looked up by their first letter, so a text is scanned once whatever the number of words.
   */
  static final class WordList {
    private final String name;
    private final Map<Integer, String[]> byFirst;

    WordList(String name, List<String> words) {
      this.name = name;
      Map<Integer, List<String>> grouped = new HashMap<>();
      for (String word : words) {
        String w = spelledOut(word.strip());
        if (w.isEmpty()) {
          throw new IllegalArgumentException("a deny-list word must not be blank");
        }
        grouped.computeIfAbsent(key(w.codePointAt(0)), k -> new ArrayList<>()).add(w);
      }
      Map<Integer, String[]> copy = new HashMap<>();
      grouped.forEach((k, v) -> copy.put(k, v.stream().distinct().toArray(String[]::new)));
      this.byFirst = Map.copyOf(copy);
    }

    void find(String t, Spans out) {
      int n = t.length();
      int run = 0; // where the run of diacritics just before i starts (i itself when none)
      int last = -1; // the previous position looked at
      for (int i = 0; i < n; i++) {
        if (i == 0 || !diacritic(t.charAt(i - 1))) {
          run = i;
        } else if (last != i - 1) {
          run = diacriticsFrom(t, i); // after a match: its own trailing diacritics, once
        } // else the run before i - 1 goes on over t[i - 1]: looked back over once, not per mark
        last = i;
        if (!noWordBefore(t, run)) {
          continue;
        }
        String[] candidates = byFirst.get(key(t.codePointAt(i)));
        if (candidates == null) {
          continue;
        }
        for (String w : candidates) {
          int end = matchAt(t, i, w);
          if (end >= 0 && endsWord(t, end)) {
            out.add(i, end, name);
            i = end - 1;
            break;
          }
        }
      }
    }

    /**
     * Where {@code w} found at {@code i} of {@code t} ends, or -1 when it is not there: letters
     * compared as {@link #sameLetter} compares them; invisible format characters and generic
     * combining diacritics of {@code t} skipped after its first letter (diacritics after its last
     * one taken in, so that a redaction masks them with the word); each run of white space in
     * {@code w} matching a run of white space in {@code t}.
     */
    private static int matchAt(String t, int i, String w) {
      int n = t.length();
      int m = w.length();
      int k = i;
      int j = 0;
      while (j < m) {
        int c = w.codePointAt(j);
        if (j > 0) {
          while (k < n && (invisible(t.charAt(k)) || (diacritic(t.charAt(k)) && !diacritic(c)))) {
            k++;
          }
        }
        if (space(c)) {
          if (k >= n || !space(t.charAt(k))) {
            return -1;
          }
          while (k < n && space(t.charAt(k))) {
            k++;
          }
          while (j < m && space(w.charAt(j))) {
            j++;
          }
        } else {
          if (k >= n) {
            return -1;
          }
          int tc = t.codePointAt(k);
          String letters = compatibility(tc);
          if (letters != null && letters.length() > 1) {
            // A ligature: its letters are the word's next ones, all of them.
            for (int x = 0; x < letters.length(); x++) {
              if (j >= m || !sameLetter(letters.charAt(x), w.charAt(j))) {
                return -1;
              }
              j++; // the word is spelled out: a letter of the ligature is one char of it
            }
            k++;
            continue;
          }
          if (!sameLetter(tc, c)) {
            return -1;
          }
          k += Character.charCount(tc);
          j += Character.charCount(c);
        }
      }
      while (k < n && diacritic(t.charAt(k))) {
        k++;
      }
      return k;
    }

    /** Where the run of diacritics that ends at {@code i} starts ({@code i} when none). */
    private static int diacriticsFrom(String t, int i) {
      int j = i;
      while (j > 0 && diacritic(t.charAt(j - 1))) {
        j--;
      }
      return j;
    }

    /**
     * Whether the text starts at {@code j}, or no letter or digit comes just before it: with {@code
     * j} where the diacritics before a position start, whether a word may start at that position
     * (what comes before it, past any diacritics laid over it, is no letter or digit).
     */
    private static boolean noWordBefore(String t, int j) {
      return j == 0 || !Character.isLetterOrDigit(read(t.codePointBefore(j)));
    }

    /**
     * Whether {@code text} ends on a letter or digit as a word reads it (a letter beyond the BMP,
     * or one with diacritics laid over it, included), so that a word there may go on in text still
     * to come.
     */
    static boolean endsOnLetter(CharSequence text) {
      int end = text.length();
      while (end > 0 && diacritic(text.charAt(end - 1))) {
        end--;
      }
      return end > 0 && Character.isLetterOrDigit(read(Character.codePointBefore(text, end)));
    }

    /**
     * Where a window's overlap that would start at {@code at} of {@code text} starts so that it
     * cuts no word: {@code at} itself unless a word runs across it (or up to the text's end, where
     * it may go on), else where that word starts, but not before {@code limit}. A word is read as
     * the deny lists read it: letters and digits, the diacritics laid over them and the invisible
     * format characters inside it.
     */
    static int uncutFrom(CharSequence text, int at, int limit) {
      if (at <= limit
          || !inWord(Character.codePointBefore(text, at))
          || (at < text.length() && !inWord(Character.codePointAt(text, at)))) {
        return at;
      }
      int start = at;
      while (start > limit && inWord(Character.codePointBefore(text, start))) {
        start -= Character.charCount(Character.codePointBefore(text, start));
      }
      return Math.max(start, limit);
    }

    private static boolean inWord(int c) {
      return Character.isLetterOrDigit(read(c))
          || (c <= 0xFFFF && (diacritic(c) || invisible((char) c)));
    }

    /** Whether a word may end at {@code i}: the text ends there, or no letter or digit follows. */
    private static boolean endsWord(String t, int i) {
      return i >= t.length() || !Character.isLetterOrDigit(read(t.codePointAt(i)));
    }

    private static boolean space(int c) {
      return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Whether two code points are one letter, as {@link #key} tells it. */
    private static boolean sameLetter(int a, int b) {
      return a == b || key(a) == key(b);
    }

    /**
     * The letter a code point is read as, case folded: its {@link #read} form, upper-cased, then
     * lower-cased (so the Kelvin sign and {@code K} are {@code k}, as {@link
     * String#equalsIgnoreCase} has them equal).
     */
    private static int key(int c) {
      return Character.toLowerCase(Character.toUpperCase(read(c)));
    }

    /**
     * The character a model reads a code point as: a full-width ASCII form (U+FF01 to U+FF5E) as
     * its ASCII character, a mathematical letter or digit beyond the BMP as its ASCII one ({@link
     * PiiScan#readsAs(int)}), a compatibility letter of the BMP as the ASCII letter NFKC spells it
     * with ({@link #COMPATIBILITY}; a ligature as its first); others unchanged.
     */
    private static int read(int c) {
      if (c < 0x80) {
        return c;
      }
      if (c >= '\uFF01' && c <= '\uFF5E') {
        return c - 0xFEE0;
      }
      if (c > 0xFFFF) {
        int as = PiiScan.readsAs(c);
        return as >= 0 ? as : c;
      }
      String letters = compatibility(c);
      return letters != null ? letters.charAt(0) : c;
    }

    /**
     * The ASCII letters NFKC spells {@code c} with when it is a compatibility letter of the BMP
     * ({@link #COMPATIBILITY}), else null; a character outside their blocks (most of any text not
     * in Latin letters) is not looked up.
     */
    private static @Nullable String compatibility(int c) {
      for (int b = 0; b < COMPATIBILITY_BLOCKS.length; b += 2) {
        if (c < COMPATIBILITY_BLOCKS[b]) {
          return null;
        }
        if (c <= COMPATIBILITY_BLOCKS[b + 1]) {
          return COMPATIBILITY.get((char) c);
        }
      }
      return null;
    }

    /** {@code word} with each ligature written as the letters NFKC spells it with. */
    private static String spelledOut(String word) {
      StringBuilder out = new StringBuilder(word.length());
      for (int i = 0; i < word.length(); i++) {
        char c = word.charAt(i);
        String letters = compatibility(c);
        if (letters != null && letters.length() > 1) {
          out.append(letters);
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }

    /**
     * The blocks of the BMP that hold letters NFKC spells as ASCII ones, as ranges: Latin-1 and
     * Latin Extended A and B ({@code ª}, the digraphs {@code ĳ}, {@code ǆ}), the spacing modifier
     * and phonetic letters ({@code ʰ}, {@code ᵃ}), superscripts and subscripts ({@code ⁿ}, {@code
     * ₐ}), letterlike symbols (the mathematical alphabets' letters that live there: italic {@code
     * ℎ}, double-struck {@code ℝ}, script {@code ℓ}, Fraktur {@code ℭ}), the enclosed alphanumerics
     * (circled {@code ⓐ}), Latin Extended C and the alphabetic presentation forms (the ligatures
     * {@code ﬁ}, {@code ﬄ}).
     */
    private static final int[] COMPATIBILITY_BLOCKS = {
      0x0080, 0x02FF, 0x1D00, 0x1DBF, 0x2070, 0x209F, 0x2100, 0x214F, 0x2460, 0x24FF, 0x2C60,
      0x2C7F, 0xFB00, 0xFB4F
    };

    /**
     * The compatibility letters of the BMP and the ASCII letters NFKC spells each with (one, or two
     * or three for a ligature or a digraph): letters a model reads as those, so a word written with
     * them is the word. Only letters, and the circled ones: a sign NFKC spells as letters that is
     * no letter itself (the trade mark sign {@code ™}, a squared unit {@code ㎞}) is read as what it
     * is, and ends a word. The full-width forms are read apart ({@link #read}).
     */
    private static final Map<Character, String> COMPATIBILITY = compatibilityLetters();

    private static Map<Character, String> compatibilityLetters() {
      Map<Character, String> letters = new HashMap<>();
      for (int b = 0; b < COMPATIBILITY_BLOCKS.length; b += 2) {
        for (int c = COMPATIBILITY_BLOCKS[b]; c <= COMPATIBILITY_BLOCKS[b + 1]; c++) {
          boolean circled = c >= 0x24B6 && c <= 0x24E9;
          if (!Character.isLetter(c) && !circled) {
            continue;
          }
          String nfkc =
              java.text.Normalizer.normalize(
                  String.valueOf((char) c), java.text.Normalizer.Form.NFKC);
          if (!nfkc.isEmpty() && nfkc.chars().allMatch(x -> x < 0x80 && Character.isLetter(x))) {
            letters.put((char) c, nfkc);
          }
        }
      }
      return Map.copyOf(letters);
    }

    /** An invisible format character: a model reads the text as if it were not there. */
    private static boolean invisible(char c) {
      return Character.getType(c) == Character.FORMAT;
    }

    /**
     * A generic combining diacritic (U+0300 to U+036F, U+1AB0 to U+1AFF, U+1DC0 to U+1DFF, U+20D0
     * to U+20FF, U+FE20 to U+FE2F), which draws over the letter before it (an accent, a
     * strike-through) and leaves the word a model reads. A script's own combining signs (the vowel
     * signs of Devanagari, say) are letters of its words and are not read past.
     */
    private static boolean diacritic(int c) {
      return (c >= 0x0300 && c <= 0x036F)
          || (c >= 0x1AB0 && c <= 0x1AFF)
          || (c >= 0x1DC0 && c <= 0x1DFF)
          || (c >= 0x20D0 && c <= 0x20FF)
          || (c >= 0xFE20 && c <= 0xFE2F);
    }
  }
}
