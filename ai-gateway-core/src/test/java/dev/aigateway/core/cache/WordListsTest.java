package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WordListsTest {

  private static final WordLists LISTS = WordLists.read(WordListsTest.class, "word-lists-test.txt");

  @Test
  void aLineEndingInACommaGoesOnOnTheNextLine() {
    assertThat(LISTS.words("flat")).containsExactly("one", "two words", "three", "four");
  }

  @Test
  void eachRecordKeepsItsEntries() {
    assertThat(LISTS.records("flat")).containsExactly(List.of("one", "two words", "three", "four"));
    assertThat(LISTS.records("rows")).containsExactly(List.of("a", "b"), List.of("c"));
  }

  @Test
  void pairsAreSplitAroundTheBar() {
    assertThat(LISTS.pairs("pairs"))
        .containsExactly(List.of(List.of("turn on", "enable"), List.of("turn off", "disable")));
  }

  @Test
  void valuesAndNumbersKeepTheirKeysInOrder() {
    assertThat(LISTS.orderedValues("values"))
        .containsExactly(Map.entry("non", "4"), Map.entry("un", "4"), Map.entry("a", "7"));
    assertThat(LISTS.numbers("values")).containsEntry("a", 7.0);
  }

  @Test
  void malformedListsNameTheListAndTheRecord() {
    assertThatThrownBy(() -> LISTS.pairs("rows"))
        .hasMessageContaining("'rows'")
        .hasMessageContaining("two sides");
    assertThatThrownBy(() -> LISTS.words("absent")).hasMessageContaining("no list 'absent'");
    assertThatThrownBy(() -> WordLists.read(WordListsTest.class, "missing.txt"))
        .hasMessageContaining("missing.txt is missing");
  }

  @Test
  void theGuardsListsAreAllThereAndWellFormed() {
    WordLists guard = WordLists.read(GuardLexicon.class, GuardLexicon.RESOURCE);
    assertThat(guard.words("negations")).contains("not", "never", "aint");
    assertThat(guard.pairs("opposites")).hasSizeGreaterThan(30);
    assertThat(guard.numbers("number-words"))
        .containsEntry("twenty", 20.0)
        .containsEntry("dozen", 12.0);
    assertThat(guard.orderedValues("negative-prefixes").keySet()).startsWith("non", "un");
  }
}
