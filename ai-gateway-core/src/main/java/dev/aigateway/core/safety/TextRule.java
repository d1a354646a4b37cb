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
   * no-break spaces). Full-width letters match their ASCII forms, and invisible format characters
   * inside a word (zero-width spaces and joiners, soft hyphens) are read past, as a model reads
   * them. Candidates are looked up by their first character, so a text is scanned once whatever the
   * number of words.
   */
  static final class WordList {
    private final String name;
    private final Map<Character, String[]> byFirst;

    WordList(String name, List<String> words) {
      this.name = name;
      Map<Character, List<String>> grouped = new HashMap<>();
      for (String word : words) {
        String w = word.strip();
        if (w.isEmpty()) {
          throw new IllegalArgumentException("a deny-list word must not be blank");
        }
        char first = fold(w.charAt(0));
        grouped.computeIfAbsent(Character.toLowerCase(first), k -> new ArrayList<>()).add(w);
        grouped.computeIfAbsent(Character.toUpperCase(first), k -> new ArrayList<>()).add(w);
      }
      Map<Character, String[]> copy = new HashMap<>();
      grouped.forEach((k, v) -> copy.put(k, v.stream().distinct().toArray(String[]::new)));
      this.byFirst = Map.copyOf(copy);
    }

    void find(String t, Spans out) {
      int n = t.length();
      for (int i = 0; i < n; i++) {
        if (!PiiScan.startsToken(t, i)) {
          continue;
        }
        String[] candidates = byFirst.get(fold(t.charAt(i)));
        if (candidates == null) {
          continue;
        }
        for (String w : candidates) {
          int end = matchAt(t, i, w);
          if (end >= 0 && PiiScan.endsToken(t, end)) {
            out.add(i, end, name);
            i = end - 1;
            break;
          }
        }
      }
    }

    /**
     * Where {@code w} found at {@code i} of {@code t} ends, or -1 when it is not there: case
     * ignored, full-width letters read as their ASCII forms, invisible format characters of {@code
     * t} (zero-width spaces and joiners, soft hyphens, word joiners) skipped after its first
     * character, and each run of white space in {@code w} matching a run of white space in {@code
     * t}.
     */
    private static int matchAt(String t, int i, String w) {
      int n = t.length();
      int m = w.length();
      int k = i;
      int j = 0;
      while (j < m) {
        char c = w.charAt(j);
        if (j > 0) {
          while (k < n && invisible(t.charAt(k))) {
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
          if (k >= n || !sameLetter(t.charAt(k), c)) {
            return -1;
          }
          k++;
          j++;
        }
      }
      return k;
    }

    private static boolean space(char c) {
      return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    /** Whether two characters are one letter: case ignored, full-width forms read as ASCII. */
    private static boolean sameLetter(char a, char b) {
      a = fold(a);
      b = fold(b);
      if (a == b) {
        return true;
      }
      char ua = Character.toUpperCase(a);
      char ub = Character.toUpperCase(b);
      return ua == ub || Character.toLowerCase(ua) == Character.toLowerCase(ub);
    }

    /** A full-width ASCII form (U+FF01 to U+FF5E) as its ASCII character; others unchanged. */
    private static char fold(char c) {
      return c >= '\uFF01' && c <= '\uFF5E' ? (char) (c - 0xFEE0) : c;
    }

    /** An invisible format character: a model reads the text as if it were not there. */
    private static boolean invisible(char c) {
      return Character.getType(c) == Character.FORMAT;
    }
  }
}
