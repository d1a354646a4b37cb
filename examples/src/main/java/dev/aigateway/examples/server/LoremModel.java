package dev.aigateway.examples.server;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingResult;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The language model the local server plays: deterministic lorem-style answers, token counts with
 * jtokkit's {@code o200k_base} (the GPT-4o vocabulary), and pseudo-embeddings derived from a hash.
 * Immutable and thread-safe.
 */
final class LoremModel {

  // Loaded once per JVM (megabytes, tens of milliseconds); jtokkit encodings are thread-safe.
  private static final Encoding O200K =
      Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

  private static final String[] WORDS = {
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "in",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum"
  };

  /** The answer to a prompt: its text, the word-ish pieces a stream sends, its token count. */
  record Answer(String text, List<String> pieces, int tokens, boolean truncated) {}

  // One full-length answer per starting word, so the hot path never tokenizes a completion.
  private final Answer[] answers;

  LoremModel(int completionWords) {
    answers = new Answer[WORDS.length];
    for (int start = 0; start < WORDS.length; start++) {
      String text = sentence(start, completionWords);
      answers[start] = new Answer(text, pieces(text), countTokens(text), false);
    }
  }

  /**
   * The answer to a prompt with this hash; when {@code maxTokens > 0} and the answer is longer, it
   * is cut to exactly that many tokens, as a real model stops at its limit.
   */
  Answer answer(int promptHash, int maxTokens) {
    Answer full = answers[Math.floorMod(promptHash, answers.length)];
    if (maxTokens <= 0 || full.tokens() <= maxTokens) {
      return full;
    }
    EncodingResult cut = O200K.encodeOrdinary(full.text(), maxTokens);
    String text = O200K.decode(cut.getTokens());
    return new Answer(text, pieces(text), cut.getTokens().size(), true);
  }

  /** Tokens in {@code text}; special-token markup counts as ordinary text, as in a prompt. */
  static int countTokens(String text) {
    return O200K.countTokensOrdinary(text);
  }

  /** A unit-length pseudo-embedding: equal texts give equal vectors, in every JVM. */
  static float[] embed(String text, int dimensions) {
    SplittableRandom random = new SplittableRandom(text.hashCode());
    float[] vector = new float[dimensions];
    double squares = 0;
    for (int i = 0; i < dimensions; i++) {
      double x = random.nextDouble(-1.0, 1.0);
      vector[i] = (float) x;
      squares += x * x;
    }
    float norm = (float) Math.sqrt(squares);
    for (int i = 0; i < dimensions; i++) {
      vector[i] /= norm;
    }
    return vector;
  }

  private static String sentence(int start, int words) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < words; i++) {
      String word = WORDS[(start + i) % WORDS.length];
      if (i == 0) {
        text.append(Character.toUpperCase(word.charAt(0))).append(word, 1, word.length());
      } else {
        text.append(' ').append(word);
      }
    }
    return text.append('.').toString();
  }

  /** Splits before each space: "Lorem ipsum." gives "Lorem", " ipsum.". */
  private static List<String> pieces(String text) {
    List<String> pieces = new ArrayList<>();
    int from = 0;
    for (int i = 1; i < text.length(); i++) {
      if (text.charAt(i) == ' ') {
        pieces.add(text.substring(from, i));
        from = i;
      }
    }
    if (from < text.length()) {
      pieces.add(text.substring(from));
    }
    return List.copyOf(pieces);
  }
}
