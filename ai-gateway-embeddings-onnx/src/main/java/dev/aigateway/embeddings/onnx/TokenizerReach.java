package dev.aigateway.embeddings.onnx;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * How much of a text a model reads: the text is tokenized as the model's tokenizer file says (its
 * truncation kept, its padding off), and when the tokenizer cut it short, the end of the last word
 * piece kept is where reading stopped; for a model that reads a text in windows, the end of the
 * last piece of its last window read ({@link BertEncoder#MOST_WINDOWS}). The tokenizer alone is
 * loaded (no ONNX session), once, on the first call. Thread-safe.
 */
final class TokenizerReach {

  /**
   * The most word pieces, its two markers among them, that the truncating tokenizers (both
   * all-MiniLM-L6-v2's) keep: their {@code truncation.max_length}.
   */
  static final int PIECES = 128;

  private final boolean windowed;
  private final LoadedOnce<HuggingFaceTokenizer> tokenizer;
  private final LongAdder tokenized = new LongAdder();

  /**
   * @param name the model's name, in failures' messages
   * @param tokenizerResource the tokenizer's ({@code tokenizer.json}) absolute class-path resource
   * @param windowed whether the tokenizer keeps every piece and the model reads them in windows (at
   *     most {@link BertEncoder#MOST_WINDOWS}), else it keeps {@link #PIECES}
   */
  TokenizerReach(String name, String tokenizerResource, boolean windowed) {
    this.windowed = windowed;
    this.tokenizer =
        new LoadedOnce<>(
            () -> load(tokenizerResource),
            failure -> "could not load the tokenizer of " + name + ": " + failure);
  }

  /**
   * The pieces (markers among them) the tokenizer must be given for what the model reads: more than
   * its windows hold, for a model that reads in windows.
   */
  int pieces() {
    return windowed ? BertEncoder.MOST_WINDOWS * BertEncoder.WINDOW + 4 : PIECES;
  }

  /**
   * How many of {@code text}'s leading characters the model reads: {@code text.length()} unless the
   * tokenizer cut the text short or it has more windows than the model reads, else the end of the
   * last word piece read. The tokenizer is given only what it needs of the text ({@link
   * ReadableText}).
   */
  int charactersRead(String text) throws IOException {
    Objects.requireNonNull(text, "text");
    ReadableText readable = ReadableText.of(text, pieces());
    String given = readable.text();
    tokenized.add(given.length());
    Encoding encoding = tokenizer.get().encode(wellFormed(given), true, true);
    CharSpan[] spans = encoding.getCharTokenSpans();
    if (windowed) {
      List<List<String>> windows =
          BertEncoder.partition(Arrays.asList(encoding.getTokens()), BertEncoder.WINDOW);
      if (windows.size() <= BertEncoder.MOST_WINDOWS) {
        return readable.cut() ? readable.wholeIndex(given.length()) : text.length();
      }
      int last = 0; // the index of the last piece read: the markers first, then the windows
      for (List<String> window : windows.subList(0, BertEncoder.MOST_WINDOWS)) {
        last += window.size();
      }
      return readable.wholeIndex(charIndex(given, spans[last].getEnd()));
    }
    boolean cut =
        encoding.exceedMaxLength()
            || encoding.getOverflowing() != null && encoding.getOverflowing().length > 0;
    if (!cut) {
      return readable.cut() ? readable.wholeIndex(given.length()) : text.length();
    }
    int end = 0;
    long[] special = encoding.getSpecialTokenMask();
    for (int t = 0; t < spans.length; t++) {
      if (spans[t] != null && (special == null || t >= special.length || special[t] == 0)) {
        end = Math.max(end, spans[t].getEnd());
      }
    }
    return readable.wholeIndex(charIndex(given, end));
  }

  /** Closes the tokenizer when it was loaded; called once, with no call running. */
  void close() {
    HuggingFaceTokenizer loaded = tokenizer.ifLoaded();
    if (loaded != null) {
      loaded.close();
    }
  }

  /** How many characters this has given the tokenizer so far (what bounds its work). */
  long charactersTokenized() {
    return tokenized.sum();
  }

  /**
   * The index in {@code text} of the tokenizer's character offset {@code offset}: the tokenizer
   * counts Unicode characters (code points), so an emoji or any other character beyond the Basic
   * Multilingual Plane is one character to it but two {@code char}s of the string.
   */
  static int charIndex(String text, int offset) {
    int index = 0;
    for (int k = 0; k < offset && index < text.length(); k++) {
      index +=
          Character.isHighSurrogate(text.charAt(index))
                  && index + 1 < text.length()
                  && Character.isLowSurrogate(text.charAt(index + 1))
              ? 2
              : 1;
    }
    return index;
  }

  /**
   * {@code text} with each unpaired surrogate (which a JSON string may carry as an escape) replaced
   * by U+FFFD, one char for one: what the tokenizer and the model are given, since a string with an
   * unpaired surrogate reaches the tokenizer decoded leniently, with more characters than the
   * string has, and its offsets then no longer match the text's.
   */
  static String wellFormed(String text) {
    char[] chars = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        if (chars == null) {
          chars = text.toCharArray();
        }
        chars[i] = '\uFFFD';
      }
    }
    return chars == null ? text : new String(chars);
  }

  private static HuggingFaceTokenizer load(String resource) throws IOException {
    try (InputStream in = TokenizerReach.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(resource + " is not on the class path");
      }
      return HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false"));
    }
  }
}
