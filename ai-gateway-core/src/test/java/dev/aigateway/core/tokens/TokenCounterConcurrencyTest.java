package dev.aigateway.core.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.Operation;
import dev.aigateway.core.Prompts;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenCounterConcurrencyTest {

  private static final int THREADS = 16;
  private static final int ROUNDS = 200;

  private static final String CHAT =
      """
          {"messages": [{"role": "system", "content": "You are terse."},
                        {"role": "user", "name": "bob", "content": [
                           {"type": "text", "text": "Summarise the attached chart, please."},
                           {"type": "image_url", "image_url": {"url": "https://example.com/c.png"}}]}]}
          """;
  private static final String EMBEDDINGS =
      "{\"input\": [\"the quick brown fox\", \"jumps over the lazy dog\"]}";

  @Test
  void concurrentCountsEqualSequentialCounts() throws Exception {
    // A fresh counter, so threads race on the empty model cache as well as on counting.
    TokenCounter counter = TokenCounter.builder().imageTokens(500).build();
    List<Integer> expected = countAll(TokenCounter.builder().imageTokens(500).build(), 0);

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<List<Integer>>>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  List<List<Integer>> results = new ArrayList<>();
                  for (int round = 0; round < ROUNDS; round++) {
                    results.add(countAll(counter, thread + round));
                  }
                  return results;
                }));
      }
      start.countDown();

      for (Future<List<List<Integer>>> future : futures) {
        assertThat(future.get(60, TimeUnit.SECONDS)).hasSize(ROUNDS).containsOnly(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // Counts the same requests for several models, starting at a different model per call so that
  // threads resolve and load encodings in different orders.
  private static List<Integer> countAll(TokenCounter counter, int offset) {
    String[] models = {
      "gpt-4o", "gpt-4", "azure/gpt-35-turbo", "o3-mini", "text-embedding-3-small"
    };
    Integer[] counts = new Integer[models.length * 3];
    for (int i = 0; i < models.length; i++) {
      int m = (i + offset) % models.length;
      counts[m * 3] = Prompts.countTokens(counter, models[m], Operation.CHAT_COMPLETIONS, CHAT);
      counts[m * 3 + 1] = Prompts.countTokens(counter, models[m], Operation.EMBEDDINGS, EMBEDDINGS);
      counts[m * 3 + 2] = counter.countText(models[m], "Concurrency is not parallelism.");
    }
    return List.of(counts);
  }
}
