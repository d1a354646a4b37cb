package dev.aigateway.embeddings.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.cache.AlignmentGuard;
import dev.aigateway.core.cache.WordRelations;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** WordNet read in process: synonyms, phrases, opposites, and the provider the guard finds. */
class WordNetRelationsTest {

  private final WordNetRelations relations = new WordNetRelations();

  @Test
  void wordsThatShareASenseAreSynonymsWhateverTheirInflection() {
    assertThat(relations.synonyms("mend", "repair")).isTrue();
    assertThat(relations.synonyms("mended", "repaired")).isTrue();
    assertThat(relations.synonyms("accelerate", "speed up")).isTrue();
    assertThat(relations.synonyms("memorize", "learn")).isTrue();
  }

  @Test
  void phrasesAreLookedUpWholeAndAnOfMayBeMissing() {
    assertThat(relations.synonyms("put together", "assemble")).isTrue();
    assertThat(relations.synonyms("get rid", "eliminate")).isTrue();
    assertThat(relations.synonyms("take out", "remove")).isTrue();
  }

  @Test
  void differentActionsAndOppositesAreNoSynonyms() {
    assertThat(relations.synonyms("cancel", "renew")).isFalse();
    assertThat(relations.synonyms("archive", "delete")).isFalse();
    assertThat(relations.synonyms("toddler", "teenager")).isFalse();
    assertThat(relations.antonyms("fresh", "stale")).isTrue();
    assertThat(relations.antonyms("loose", "tight")).isTrue();
    assertThat(relations.antonyms("mend", "repair")).isFalse();
  }

  @Test
  void twoFormsOfOneWordAreLeftToTheGuardsTenseAndNumberChecks() {
    assertThat(relations.synonyms("won", "win")).isFalse();
    assertThat(relations.synonyms("children", "child")).isFalse();
    assertThat(relations.synonyms("repair", "repair")).isTrue();
  }

  @Test
  void oppositesReachedThroughAnAdjectiveClusterAreOpposites() {
    assertThat(relations.antonyms("opaque", "transparent")).isTrue();
    assertThat(relations.antonyms("transparent", "opaque")).isTrue();
    assertThat(relations.antonyms("clear", "transparent")).isFalse();
    assertThat(relations.synonyms("clear", "transparent")).isTrue();
  }

  @Test
  void formsAndDerivationsOfOneWord() {
    assertThat(relations.forms("taught", "teach")).isTrue();
    assertThat(relations.forms("mice", "mouse")).isTrue();
    assertThat(relations.forms("teach", "teach")).isFalse();
    assertThat(relations.forms("teach", "learn")).isFalse();
    assertThat(relations.derivations("deduct", "deductible")).isTrue();
    assertThat(relations.derivations("navigation", "navigate")).isTrue();
    assertThat(relations.derivations("deduct", "refund")).isFalse();
  }

  @Test
  void unknownWordsRelateToNothing() {
    assertThat(relations.synonyms("qwzxv", "repair")).isFalse();
    assertThat(relations.antonyms("qwzxv", "fresh")).isFalse();
  }

  @Test
  void theGuardFindsWordNetAsTheInstalledRelations() {
    assertThat(WordRelations.installed()).isInstanceOf(WordNetRelations.class);
    assertThat(AlignmentGuard.builder(MiniLmEmbeddingModel.create()).build().toString())
        .contains("WordNet");
  }

  @Test
  void answersAreTheSameFromManyThreads() throws Exception {
    WordNetRelations shared = new WordNetRelations();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> answers = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        answers.add(
            pool.submit(
                () ->
                    shared.synonyms("thaw", "unfreeze")
                        && shared.antonyms("fresh", "stale")
                        && !shared.synonyms("cancel", "renew")));
      }
      for (Future<Boolean> answer : answers) {
        assertThat(answer.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
