package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.spi.EmbeddingModel;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The kinds of difference {@link AlignmentGuard} reads from the wording itself: words of closed
 * classes used otherwise ("the will"), numbers said by nouns, roles said by word order, voice and
 * pronouns, dimensions of a "how" question, negations said by verbs, degrees, referents and
 * persons. Each near miss is paired with a wording of the same question that must stay a hit.
 */
class AlignmentGuardReadingTest {

  /** Every single word on its own axis: two different words are never synonyms by embedding. */
  private static final EmbeddingModel WORD_AXES =
      new EmbeddingModel() {
        @Override
        public float[] embed(String text) {
          float[] v = new float[64];
          v[Math.floorMod(text.hashCode(), 63) + 1] = 1;
          return v;
        }

        @Override
        public String name() {
          return "word-axes";
        }
      };

  private final AlignmentGuard guard = AlignmentGuard.builder(WORD_AXES).build();

  private Optional<String> objection(String cached, String incoming) {
    return guard.objection(cached, incoming);
  }

  @Test
  void aModalWordAfterADeterminerIsANoun() {
    assertThat(objection("Should a witness sign the will?", "May a witness sign the will?"))
        .contains("modality");
    assertThat(objection("Can a witness sign the will?", "May a witness sign the will?")).isEmpty();
  }

  @Test
  void adjectivesOfObligationAndPossibilityAreModals() {
    assertThat(objection("Is it mandatory to recycle glass?", "Is it possible to recycle glass?"))
        .contains("modality");
    assertThat(objection("Is the field optional?", "Is the field mandatory?")).contains("modality");
    assertThat(objection("Is it mandatory to wear a helmet?", "Do I have to wear a helmet?"))
        .isEmpty();
    assertThat(objection("Is it required to wear a helmet?", "Is it necessary to wear a helmet?"))
        .isEmpty();
  }

  @Test
  void howQuestionsOfOtherDimensionsDiffer() {
    assertThat(objection("How far can a bee fly?", "How fast can a bee fly?")).contains("question");
    assertThat(objection("How heavy is an elephant?", "How tall is an elephant?"))
        .contains("question");
    assertThat(objection("How fast can a cheetah run?", "How quickly can a cheetah run?"))
        .isEmpty();
    assertThat(objection("How bright is Venus?", "How bright is Venus tonight?"))
        .isNotEqualTo(Optional.of("question"));
    // "how" before a noun that a verb follows asks for a manner, not a dimension
    assertThat(objection("Explain how tides work.", "How do tides work?")).isEmpty();
    assertThat(
            objection(
                "How long does it take to close on a house?",
                "How much time does it take to close on a house?"))
        .isEmpty();
  }

  @Test
  void aNegationSaidByAVerbIsANegation() {
    assertThat(
            objection(
                "Did the driver sign the delivery receipt?",
                "Did the driver fail to sign the delivery receipt?"))
        .contains("negation");
    assertThat(
            objection("Did the intern lock the door?", "Did the intern forget to lock the door?"))
        .contains("negation");
    assertThat(objection("Why did the payment fail?", "Why did the payment fail again?"))
        .isNotEqualTo(Optional.of("negation"));
  }

  @Test
  void oneAgainstManyIsACount() {
    assertThat(objection("How do I feed a single goldfish?", "How do I feed a tank of goldfish?"))
        .contains("count");
    assertThat(
            objection(
                "How do I take care of one chicken?", "How do I take care of a flock of chickens?"))
        .contains("count");
    assertThat(
            objection("How do I photograph a single star?", "How do I photograph a star cluster?"))
        .contains("count");
    assertThat(objection("Can a single bee survive the winter?", "Can bees survive the winter?"))
        .contains("count");
    assertThat(objection("Can one person lift a piano?", "Can a single person lift a piano?"))
        .isEmpty();
    // "a" alone is generic
    assertThat(
            objection(
                "How do I remove a stain from a shirt?", "How do I remove stains from a shirt?"))
        .isEmpty();
  }

  @Test
  void clockTimesKeepTheirRoleMarkers() {
    assertThat(
            objection(
                "Is the warehouse staffed until midnight?",
                "Is the warehouse staffed since midnight?"))
        .contains("relation");
    assertThat(
            objection(
                "Is the office open from 9 am to 5 pm?", "Is the office open from 5 pm to 9 am?"))
        .contains("order");
    assertThat(objection("Is the office open until 6 pm?", "Is the office open till 18:00?"))
        .isEmpty();
  }

  @Test
  void aQuestionForTheSubjectIsNotAQuestionForTheObject() {
    assertThat(
            objection(
                "Which team beat Brazil in the 1950 final?",
                "Which team did Brazil beat in the 1950 final?"))
        .contains("order");
    assertThat(objection("What chased the dog?", "What did the dog chase?")).contains("order");
    assertThat(objection("Who did the manager promote?", "Who promoted the manager?"))
        .contains("order");
    assertThat(objection("What do hedgehogs eat?", "When do hedgehogs eat?")).contains("question");
    assertThat(objection("What did hedgehogs eat?", "What did hedgehogs eat last winter?"))
        .isNotEqualTo(Optional.of("order"));
  }

  @Test
  void theAskerAsSubjectIsNotTheAskerAsObject() {
    assertThat(
            objection(
                "Can I claim my parents as dependents?", "Can my parents claim me as dependents?"))
        .contains("order");
    assertThat(objection("Can you tell me how to tie a tie?", "How do I tie a tie?")).isEmpty();
  }

  @Test
  void aPassiveKeepsItsAgent() {
    assertThat(objection("Did the cat scratch the dog?", "Was the cat scratched by the dog?"))
        .contains("order");
    assertThat(objection("Did the cat scratch the dog?", "Was the dog scratched by the cat?"))
        .isEmpty();
  }

  @Test
  void ownersReferentsAndPersons() {
    assertThat(
            objection(
                "Is it legal to record my boss's phone calls?",
                "Is it legal for my boss to record my phone calls?"))
        .contains("owner");
    assertThat(
            objection(
                "How do I see my team's schedule?", "How do I see the other team's schedule?"))
        .contains("referent");
    assertThat(
            objection(
                "Can someone else pick up my prescription?",
                "Can someone else collect my prescription?"))
        .isNotEqualTo(Optional.of("referent"));
    assertThat(objection("Can I use my card at this store?", "Can I use your card at this store?"))
        .contains("owner");
    // a generic "you" changes the owner with the asker
    assertThat(objection("How do I change my password?", "How do you change your password?"))
        .isEmpty();
  }

  @Test
  void timesPlacedOtherwise() {
    assertThat(objection("Is the museum open this week?", "Is the museum open next week?"))
        .contains("relation");
    assertThat(objection("Can I get a refund after 30 days?", "Can I get a refund within 30 days?"))
        .contains("relation");
    assertThat(
            objection("Can I bring food into the stadium?", "Can I bring food out of the stadium?"))
        .contains("relation");
  }

  @Test
  void adverbsOfDegreeOfAnotherClassDiffer() {
    assertThat(
            objection(
                "The soup is slightly salty, how do I fix it?",
                "The soup is very salty, how do I fix it?"))
        .contains("degree");
    assertThat(objection("Is it very cold in Oslo?", "Is it extremely cold in Oslo?")).isEmpty();
  }

  @Test
  void quantifiersReadInContext() {
    assertThat(objection("Can everyone join the book club?", "Can anybody join the book club?"))
        .isEmpty();
    assertThat(objection("Does everyone get a badge?", "Does anybody get a badge?"))
        .contains("quantifier");
    assertThat(
            objection("Do I pay tax on the whole amount?", "Do I pay tax on part of the amount?"))
        .contains("quantifier");
  }

  @Test
  void equalWordingsOfDatesTimesUnitsAndKnowing() {
    assertThat(
            objection(
                "Is the billing office open on Dec. 24?",
                "Is the billing office open on Christmas Eve?"))
        .isEmpty();
    assertThat(objection("Is the store open on Halloween?", "Is the store open on October 31?"))
        .isEmpty();
    assertThat(
            objection("Is the office open on December 24?", "Is the office open on Christmas Day?"))
        .contains("number");
    assertThat(
            objection(
                "Can we meet at a quarter past four this afternoon?", "Can we meet at 4:15 pm?"))
        .isEmpty();
    assertThat(
            objection(
                "Can we meet at a quarter past four this afternoon?", "Can we meet at 4:15 am?"))
        .contains("number");
    assertThat(objection("How many oz in a lb?", "How many ounces in a pound?")).isEmpty();
    assertThat(
            objection(
                "How do I know if my tenant is subletting?",
                "How can I tell whether my tenant is subletting?"))
        .isEmpty();
    assertThat(
            objection(
                "If it's not too much trouble, could you explain how to knit a scarf?",
                "How do I knit a scarf?"))
        .isEmpty();
  }

  @Test
  void kindsNoSetHasShownAreCaught() {
    assertThat(objection("Do I water the plants daily?", "Do I water the plants weekly?"))
        .contains("number");
    assertThat(objection("How do I see my first order?", "How do I see my last order?"))
        .contains("opposite");
    assertThat(
            objection("How do I see my next appointment?", "How do I see my previous appointment?"))
        .contains("opposite");
    assertThat(
            objection("Is the temperature above freezing?", "Is the temperature below freezing?"))
        .contains("opposite");
    assertThat(objection("Should the cat stay inside?", "Should the cat stay outside?"))
        .contains("opposite");
    assertThat(objection("How do I buy shares of Apple?", "How do I sell shares of Apple?"))
        .contains("opposite");
    assertThat(
            objection("Does the sender pay the wire fee?", "Does the recipient pay the wire fee?"))
        .contains("substitution");
    assertThat(objection("Give me an approximate figure.", "Give me an exact figure."))
        .contains("substitution");
    assertThat(objection("Is the field optional?", "Is the field required?")).contains("modality");
  }

  @Test
  void theNewChecksCanBeTurnedOff() {
    AlignmentGuard without =
        AlignmentGuard.builder(WORD_AXES)
            .disable(
                AlignmentGuard.Check.COUNT,
                AlignmentGuard.Check.DEGREE,
                AlignmentGuard.Check.REFERENT,
                AlignmentGuard.Check.IMPLICIT_NEGATION)
            .build();
    assertThat(
            without.objection(
                "How do I feed a single goldfish?", "How do I feed a tank of goldfish?"))
        .isNotEqualTo(Optional.of("count"));
    assertThat(without.objection("The soup is slightly salty.", "The soup is very salty."))
        .isNotEqualTo(Optional.of("degree"));
    assertThat(
            without.objection(
                "How do I see my team's schedule?", "How do I see the other team's schedule?"))
        .isNotEqualTo(Optional.of("referent"));
    assertThat(AlignmentGuard.Check.IMPLICIT_NEGATION.category()).isEqualTo("negation");
    assertThat(AlignmentGuard.Check.COUNT.category()).isEqualTo("count");
  }
}
