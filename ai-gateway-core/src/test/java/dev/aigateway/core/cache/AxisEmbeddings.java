package dev.aigateway.core.cache;

import dev.aigateway.api.spi.EmbeddingModel;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test embedding model: embeds each text as its own axis (two different texts are at similarity
 * 0) unless given a vector in {@link #vectors}; counts the calls; throws while {@link #failing}.
 */
final class AxisEmbeddings implements EmbeddingModel {
  final Map<String, float[]> vectors = new HashMap<>();
  final AtomicInteger calls = new AtomicInteger();
  boolean failing;
  private final String name;

  AxisEmbeddings(String name) {
    this.name = name;
  }

  @Override
  public Duration callTimeout() {
    return Duration.ZERO; // in process: called on the calling thread
  }

  @Override
  public float[] embed(String text) throws IOException {
    calls.incrementAndGet();
    if (failing) {
      throw new IOException("model down");
    }
    float[] given = vectors.get(text);
    if (given != null) {
      return given;
    }
    float[] v = new float[64];
    v[Math.floorMod(text.hashCode(), 63) + 1] = 1;
    return v;
  }

  @Override
  public String name() {
    return name;
  }
}
