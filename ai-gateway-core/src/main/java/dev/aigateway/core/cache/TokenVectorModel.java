package dev.aigateway.core.cache;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * A sentence model that can also give the vector it computes for each word of a text in context,
 * before pooling: the same word gets a different vector when it moves from subject to object, or
 * from after "from" to after "to". Optional: {@link LearnedVerifier} reads words in context when it
 * is given such a model ({@link LearnedVerifier.Builder#tokenVectors}) and its weights give those
 * features a weight, and leaves them at zero otherwise. The shipped weights give them none (they
 * were measured and bought nothing: docs/semantic-eval.md), so with the shipped weights no word
 * vector is computed; they matter only for weights of your own ({@link
 * LearnedVerifier.Builder#model}) trained with them. The ONNX module's {@code MiniLmEmbeddingModel}
 * offers it.
 *
 * <p>Implementations must be thread-safe.
 */
public interface TokenVectorModel {

  /**
   * The words of {@code text} as the model splits them (punctuation marks are words of their own),
   * each with its contextual vector (the average of its word pieces' vectors).
   *
   * @throws IOException when the model cannot be loaded or cannot read the text
   */
  WordVectors wordVectors(String text) throws IOException;

  /**
   * The words of a text, lower case, and the vector of each in context, in the same order.
   *
   * @param words the words, lower case
   * @param vectors one vector per word, all of one length
   */
  record WordVectors(List<String> words, List<float[]> vectors) {

    /**
     * Checks that there is one vector per word.
     *
     * @throws IllegalArgumentException when the counts differ
     */
    public WordVectors {
      words = List.copyOf(Objects.requireNonNull(words, "words"));
      vectors = List.copyOf(Objects.requireNonNull(vectors, "vectors"));
      if (words.size() != vectors.size()) {
        throw new IllegalArgumentException(
            words.size() + " words but " + vectors.size() + " vectors");
      }
    }

    /** How many words. */
    public int size() {
      return words.size();
    }
  }
}
