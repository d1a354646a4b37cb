package dev.aigateway.api.spi;

import java.util.Objects;

/**
 * One result of {@link VectorStore#nearest}: an entry and its cosine similarity to the query.
 *
 * @param id the entry's id, as given to {@link VectorStore#add}
 * @param score the cosine similarity, from -1 to 1 (1: same direction)
 * @param text the text the entry's vector was computed from (the false-hit guard reads it)
 */
public record VectorMatch(String id, double score, String text) {

  public VectorMatch {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(text, "text");
  }

  @Override
  public String toString() {
    return "VectorMatch[id=" + id + ", score=" + score + "]"; // the text is content: not printed
  }
}
