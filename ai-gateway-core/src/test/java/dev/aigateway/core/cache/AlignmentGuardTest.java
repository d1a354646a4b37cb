package dev.aigateway.core.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.SemanticHitGuard;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AlignmentGuardTest {

  private final AxisEmbeddings words = new AxisEmbeddings("word-axes");
  private final AlignmentGuard guard = AlignmentGuard.builder(words).build();

  private Optional<String> objection(String cached, String incoming) {
    return guard.objection(cached, incoming);
  }

  @Test
  void aQuantifierOfAnotherClassIsAnObjection() {
    assertThat(objection("Do all plans include SSO?", "Do some plans include SSO?"))
        .contains("quantifier");
    assertThat(objection("Are any of my orders delayed?", "Are most of my orders delayed?"))
        .contains("quantifier");
  }

  @Test
  void quantifiersOfOneClassAgree() {
    assertThat(objection("Delete all the temp files.", "Delete every temp file.")).isEmpty();
    assertThat(objection("Does each employee get a laptop?", "Does every employee get a laptop?"))
        .isEmpty();
  }

  @Test
  void aModalOfAnotherClassIsAnObjection() {
    assertThat(
            objection("Can I take ibuprofen with coffee?", "Should I take ibuprofen with coffee?"))
        .contains("modality");
    assertThat(objection("Do I have to give notice?", "Can I give notice?")).contains("modality");
  }

  @Test
  void aModalOnOneSideOnlyOrOfOneClassIsNoObjection() {
    assertThat(objection("How can I reset my PIN?", "How do I reset my PIN?")).isEmpty();
    assertThat(objection("Do I need to restart the app?", "Do I have to restart the app?"))
        .isEmpty();
  }

  @Test
  void anotherTenseIsAnObjection() {
    assertThat(objection("Did the deployment finish?", "Will the deployment finish?"))
        .contains("tense");
    assertThat(objection("Has the refund been issued?", "Is the refund issued?")).contains("tense");
  }

  @Test
  void swappedRolesAroundAMarkerAreAnObjection() {
    assertThat(
            objection(
                "Translate this paragraph from English to German.",
                "Translate this paragraph from German to English."))
        .contains("order");
    assertThat(objection("Is Rust faster than Go?", "Is Go faster than Rust?")).contains("order");
  }

  @Test
  void aMarkerGovernsWordsAsWrittenAndNumbersToo() {
    assertThat(objection("Redirect http to https on nginx.", "Redirect https to http on nginx."))
        .contains("order");
    assertThat(
            objection(
                "Is a Roth IRA better than a 401k for me?",
                "Is a 401k better than a Roth IRA for me?"))
        .contains("order");
  }

  @Test
  void subjectAndObjectTradingPlacesIsAnObjection() {
    assertThat(
            objection(
                "Can the customer sue the company for a leak?",
                "Can the company sue the customer for a leak?"))
        .contains("order");
  }

  @Test
  void swappingTheSidesOfAndOrMovingAClauseIsNoObjection() {
    assertThat(
            objection(
                "What's the difference between Python and Ruby?",
                "What's the difference between Ruby and Python?"))
        .isEmpty();
    assertThat(
            objection(
                "In Java, how do I sort a list of strings?",
                "How do I sort a list of strings in Java?"))
        .isEmpty();
    assertThat(
            objection(
                "Translate this email into French from English.",
                "Translate this email from English into French."))
        .isEmpty();
  }

  @Test
  void aWordReplacedByOneThatIsNoSynonymIsAnObjection() {
    assertThat(objection("Suggest party games for toddlers.", "Suggest party games for teenagers."))
        .contains("substitution");
    assertThat(objection("How long does fresh bread last?", "How long does stale bread last?"))
        .contains("substitution");
    assertThat(objection("How do I pin a conversation?", "How do I mute a conversation?"))
        .contains("substitution");
  }

  @Test
  void aWordReplacedByAKnownSynonymATypoOrAnAbbreviationIsNoObjection() {
    assertThat(
            objection(
                "How do I modify the notification settings?",
                "How do I adjust the notification settings?"))
        .isEmpty();
    assertThat(objection("How do I cancle my appointment?", "How do I cancel my appointment?"))
        .isEmpty();
    assertThat(objection("Is my info encrypted?", "Is my information encrypted?")).isEmpty();
    assertThat(objection("What is the PTO policy?", "What is the paid time off policy?")).isEmpty();
  }

  @Test
  void wordsTheModelPutsCloseEnoughAreSynonyms() {
    words.vectors.put("sofa", new float[] {1, 0.1f});
    words.vectors.put("couch", new float[] {1, 0.12f});

    assertThat(objection("How do I clean a sofa?", "How do I clean a couch?")).isEmpty();
    assertThat(
            AlignmentGuard.builder(words)
                .wordThreshold(1.0)
                .build()
                .objection("How do I clean a sofa?", "How do I clean a couch?"))
        .as("unless the word threshold asks for identical vectors")
        .contains("substitution");
  }

  @Test
  void eachWordIsEmbeddedOnce() {
    objection("Suggest party games for toddlers.", "Suggest party games for teenagers.");
    objection("Suggest party games for toddlers.", "Suggest party games for teenagers.");

    assertThat(words.calls).hasValue(2);
  }

  @Test
  void aFailingModelRefusesTheWordsRatherThanServingAWrongAnswer() {
    words.failing = true;

    assertThat(objection("How do I clean a sofa?", "How do I clean a couch?"))
        .contains("substitution");
  }

  @Test
  void clockTimesAreComparedAsMinutesAfterMidnight() {
    assertThat(objection("Set an alarm for 6:30 am.", "Set an alarm for 6:30 pm."))
        .contains("number");
    assertThat(objection("Book a room at 7:15.", "Book a room at 7:45.")).contains("number");
    assertThat(objection("Wake me at half past six.", "Wake me at quarter past six."))
        .contains("number");
    assertThat(objection("Set an alarm for 6:30 pm.", "Set an alarm for 18:30.")).isEmpty();
    assertThat(objection("Is the pool open at 7am?", "Is the pool open at 7 a.m.?")).isEmpty();
  }

  @Test
  void courtesyAndEmptyPlacesAreNoDifference() {
    assertThat(
            objection(
                "I'm not sure, but could you explain how OAuth works?",
                "Could you explain how OAuth works?"))
        .isEmpty();
    assertThat(
            objection(
                "What is the tallest building in the world?", "What is the tallest building?"))
        .isEmpty();
    assertThat(
            objection(
                "Please list the steps to reset my router.", "List the steps to reset my router."))
        .isEmpty();
  }

  @Test
  void theBaseGuardStillJudgesNegationsOppositesAndNumbers() {
    assertThat(objection("How do I enable 2FA?", "How do I disable 2FA?")).contains("opposite");
    assertThat(objection("Refund order 1234", "Refund order 1243")).contains("number");
    assertThat(
            AlignmentGuard.builder(words)
                .base(SemanticHitGuard.NONE)
                .build()
                .objection("Refund order 1234", "Refund order 1243"))
        .isEmpty();
  }

  @Test
  void addedContentWordsAreAnObjectionOnlyWhenAsked() {
    String plain = "Write a bedtime story about dragons.";
    String scoped = "Write a scary bedtime story about dragons.";

    assertThat(objection(plain, scoped)).isEmpty();
    assertThat(
            AlignmentGuard.builder(words)
                .enable(AlignmentGuard.Check.ADDITION)
                .build()
                .objection(plain, scoped))
        .contains("addition");
  }

  @Test
  void aDisabledCheckSaysNothing() {
    AlignmentGuard noQuantifiers =
        AlignmentGuard.builder(words).disable(AlignmentGuard.Check.QUANTIFIER).build();

    assertThat(noQuantifiers.objection("Do all plans include SSO?", "Do some plans include SSO?"))
        .isEmpty();
  }

  @Test
  void theBuilderRefusesSettingsOutOfRange() {
    assertThatThrownBy(() -> AlignmentGuard.builder(words).wordThreshold(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wordThreshold must be in (0, 1]: 0.0");
    assertThatThrownBy(() -> AlignmentGuard.builder(words).maxReplacedWords(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxReplacedWords must be in [1, 10]: 0");
    assertThatThrownBy(() -> AlignmentGuard.builder(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void identicalPromptsAndNullsAreHandled() {
    assertThat(objection("Same prompt", "Same prompt")).isEmpty();
    assertThatThrownBy(() -> guard.objection(null, "x")).isInstanceOf(NullPointerException.class);
  }

  @Test
  void questionWordsOfAnotherClassAreAnObjection() {
    assertThat(objection("Why do geese fly south?", "How do geese fly south?"))
        .contains("question");
    assertThat(objection("Where do eels breed?", "When do eels breed?")).contains("question");
    assertThat(objection("How long does a lobster live?", "Why does a lobster live so long?"))
        .contains("question");
  }

  @Test
  void questionWordsOfOneClassOrOnOneSideOnlyAgree() {
    assertThat(objection("Why do geese fly south?", "What causes geese to fly south?")).isEmpty();
    assertThat(
            objection(
                "How long does cooked lentil soup keep?",
                "How many days does cooked lentil soup keep?"))
        .isEmpty();
    assertThat(objection("What's the best way to store lentils?", "How should I store lentils?"))
        .isEmpty();
  }

  @Test
  void theSameWordUnderAnotherMarkerIsAnObjection() {
    assertThat(objection("Can I swim during the regatta?", "Can I swim after the regatta?"))
        .contains("relation");
    assertThat(objection("Is the lane closed until Monday?", "Is the lane closed since Monday?"))
        .contains("relation");
    assertThat(objection("Parades the week after Easter", "Parades the week of Easter"))
        .contains("relation");
  }

  @Test
  void theSameMarkerClassOrAMovedClauseIsNoRelationChange() {
    assertThat(objection("Translate this poem into Welsh", "Translate this poem to Welsh"))
        .isEmpty();
    assertThat(
            objection(
                "Before the regatta, what should I eat?", "What should I eat before the regatta?"))
        .isEmpty();
  }

  @Test
  void anOwnerAddedDroppedOrMovedIsAnObjection() {
    assertThat(objection("How do I unlock my nephew's scooter?", "How do I unlock my scooter?"))
        .contains("owner");
    assertThat(objection("Can I borrow my cousin's canoe?", "Can my cousin borrow my canoe?"))
        .contains("owner");
    assertThat(
            objection(
                "Is my landlord's cat allowed in my garden?",
                "Is my cat allowed in my landlord's garden?"))
        .isPresent();
  }

  @Test
  void theSameOwnerSaidAnotherWayIsNoObjection() {
    assertThat(
            objection(
                "What is the diet of my uncle's parrot?",
                "What is the diet of the parrot of my uncle?"))
        .isEmpty();
    assertThat(objection("Why does my kettle's lid rattle?", "Why does my kettle lid rattle?"))
        .isEmpty();
    assertThat(objection("Let's plan a picnic menu", "Let us plan a picnic menu")).isEmpty();
  }

  @Test
  void aConditionOnOneSideOnlyOrAnotherConditionIsAnObjection() {
    assertThat(objection("Can I eat blue cheese if I'm breastfeeding?", "Can I eat blue cheese?"))
        .contains("condition");
    assertThat(
            objection(
                "Is the trip refunded if the airline strikes?",
                "Is the trip refunded if the volcano erupts?"))
        .contains("condition");
  }

  @Test
  void whetherAndCourtesyIfsAreNoConditions() {
    assertThat(
            objection(
                "How do I check if a melon is ripe?", "How do I check whether a melon is ripe?"))
        .isEmpty();
    assertThat(
            objection(
                "I'd be grateful if you could explain tides.", "I'd be grateful, explain tides."))
        .isEmpty();
  }

  @Test
  void twoWordStretchesAreJudgedWordByWord() {
    assertThat(
            objection(
                "Which tent is best for short trips?", "Which tent is best for long expeditions?"))
        .contains("substitution");
    assertThat(
            AlignmentGuard.builder(words)
                .maxReplacedWords(1)
                .build()
                .objection(
                    "Which tent is best for short trips?",
                    "Which tent is best for long expeditions?"))
        .isEmpty();
  }

  @Test
  void oneAgainstSeveralIsAQuantifierDifference() {
    assertThat(objection("How do I cite one editor?", "How do I cite several editors?"))
        .contains("quantifier");
  }

  @Test
  void superlativesOfOneSynonymGroupAgree() {
    assertThat(objection("Cheapest way to ship a sofa", "Most affordable way to ship a sofa"))
        .isNotEqualTo(Optional.of("quantifier"));
    assertThat(objection("Fastest route to the harbour", "Quickest route to the harbour"))
        .isEmpty();
  }

  @Test
  void anAcronymMaySkipTheLettersOfFunctionWords() {
    assertThat(
            objection(
                "What is the ROI of heat pumps?",
                "What is the return on investment of heat pumps?"))
        .isEmpty();
  }

  @Test
  void aPartOfTheDaySetsTheHalfOfTheClock() {
    assertThat(objection("Is 9 o'clock in the evening too late?", "Is 9 pm too late?")).isEmpty();
    assertThat(objection("Is the shop open at 10 in the morning?", "Is the shop open at 10 am?"))
        .isEmpty();
    assertThat(objection("Is the shop open at 10 in the morning?", "Is the shop open at 10 pm?"))
        .contains("number");
    assertThat(objection("Is the gate shut at 12 midnight?", "Is the gate shut at midnight?"))
        .isEmpty();
  }

  @Test
  void abbreviatedDaysAndMonthsOfDatesAreWrittenOut() {
    assertThat(AlignedPrompt.fullDates("Is the pool open on Sat.?"))
        .isEqualTo("Is the pool open on Saturday?");
    assertThat(AlignedPrompt.fullDates("Is the parade on Nov 11 or 3 Dec.?"))
        .isEqualTo("Is the parade on November 11 or 3 December?");
    assertThat(AlignedPrompt.fullDates("Did the Sun set? I sat on the Sat bench."))
        .isEqualTo("Did the Sun set? I sat on the Sat bench.");
    assertThat(objection("Is the gym open on Fri?", "Is the gym open on Friday?")).isEmpty();
  }

  @Test
  void aLeadInAboutTheAskerWithANegationIsNotTheQuestionsNegation() {
    assertThat(
            objection(
                "I can't remember, how many cups are in a quart?", "How many cups are in a quart?"))
        .isEmpty();
    assertThat(
            objection(
                "Don't laugh, but how do I fold a fitted sheet?", "How do I fold a fitted sheet?"))
        .isEmpty();
    // the clause speaks of what is asked: its negation stays
    assertThat(objection("I'm not vegan, is this cake vegan?", "Is this cake vegan?")).isPresent();
    assertThat(
            objection(
                "My parcel arrived, what do I do now?",
                "My parcel never arrived, what do I do now?"))
        .contains("negation");
    // no asker: a plain negated statement
    assertThat(objection("The printer does not print, why?", "The printer prints, why?"))
        .isPresent();
  }

  @Test
  void blocksSwappedAcrossAWordOtherThanAndOrAreRolesSwapped() {
    assertThat(
            objection(
                "Can I substitute butter for coconut oil in cookies?",
                "Can I substitute coconut oil for butter in cookies?"))
        .contains("order");
    assertThat(
            objection(
                "How do I replace salt with soy sauce?", "How do I replace soy sauce with salt?"))
        .contains("order");
    assertThat(objection("Should I rent or lease a car?", "Should I lease or rent a car?"))
        .isEmpty();
    assertThat(objection("In Kotlin, how do I sort a map?", "How do I sort a map in Kotlin?"))
        .isEmpty();
  }

  @Test
  void lessAgainstAComparativeOfTheSameAdjectiveIsAnObjection() {
    assertThat(objection("Is a helmet safer than a cap?", "Is a helmet less safe than a cap?"))
        .contains("comparison");
    assertThat(objection("Is rail greener than air?", "Is rail less green than air?"))
        .contains("comparison");
    assertThat(objection("Is rail less green than air?", "Is rail less green than air travel?"))
        .isEmpty();
  }

  @Test
  void anOpeningModalWithYouIsTheQuestionsModal() {
    assertThat(objection("Can you refreeze thawed fish?", "Should you refreeze thawed fish?"))
        .contains("modality");
    assertThat(objection("Could you refreeze thawed fish?", "Can you refreeze thawed fish?"))
        .isEmpty();
  }

  /** Word relations that know the pairs they are given. */
  private static final class GivenRelations implements WordRelations {
    final Map<String, String> same = new HashMap<>();
    final Map<String, String> opposite = new HashMap<>();
    boolean failing;

    @Override
    public boolean synonyms(String x, String y) {
      if (failing) {
        throw new IllegalStateException("dictionary unreadable");
      }
      return y.equals(same.get(x)) || x.equals(same.get(y));
    }

    @Override
    public boolean antonyms(String x, String y) {
      if (failing) {
        throw new IllegalStateException("dictionary unreadable");
      }
      return y.equals(opposite.get(x)) || x.equals(opposite.get(y));
    }
  }

  @Test
  void wordRelationsProveSynonymsAndPhrasesAndVetoOpposites() {
    GivenRelations relations = new GivenRelations();
    relations.same.put("mend", "repair");
    relations.same.put("put together", "assemble");
    relations.opposite.put("fresh", "stale");
    words.vectors.put("fresh", new float[] {1, 0});
    words.vectors.put("stale", new float[] {1, 0}); // the embedding alone would take them as one
    AlignmentGuard withRelations = AlignmentGuard.builder(words).wordRelations(relations).build();

    assertThat(
            withRelations.objection("How do I mend a torn coat?", "How do I repair a torn coat?"))
        .isEmpty();
    assertThat(
            withRelations.objection("How do I put together a desk?", "How do I assemble a desk?"))
        .isEmpty();
    assertThat(withRelations.objection("Is the bread fresh?", "Is the bread stale?"))
        .contains("substitution");
    assertThat(guard.objection("How do I mend a torn coat?", "How do I repair a torn coat?"))
        .contains("substitution");
    assertThat(withRelations.toString()).contains("relations=");
  }

  @Test
  void failingWordRelationsCountTheWordsAsDifferent() {
    GivenRelations relations = new GivenRelations();
    relations.same.put("mend", "repair");
    relations.failing = true;
    AlignmentGuard withRelations = AlignmentGuard.builder(words).wordRelations(relations).build();

    assertThat(
            withRelations.objection("How do I mend a torn coat?", "How do I repair a torn coat?"))
        .contains("substitution");
  }

  @Test
  void withoutAnInstalledProviderTheRelationsKnowNoWord() {
    assertThat(WordRelations.installed()).isSameAs(WordRelations.NONE);
    assertThat(WordRelations.NONE.synonyms("mend", "repair")).isFalse();
    assertThat(WordRelations.NONE.antonyms("fresh", "stale")).isFalse();
    assertThatThrownBy(() -> AlignmentGuard.builder(words).wordRelations(null))
        .isInstanceOf(NullPointerException.class);
  }

  // --- kinds of difference read from the wording itself: closed-class words used otherwise ("the
  // will"), numbers said by nouns, roles said by word order, voice and pronouns, dimensions of a
  // "how" question, negations said by verbs, degrees, referents and persons; each near miss is
  // paired with a wording of the same question that must stay a hit

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
        AlignmentGuard.builder(words)
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

  /** Word relations that know a few forms and derivations, as WordNet does. */
  private static final WordRelations FORMS =
      new WordRelations() {
        @Override
        public boolean synonyms(String x, String y) {
          return false;
        }

        @Override
        public boolean antonyms(String x, String y) {
          return false;
        }

        @Override
        public boolean forms(String x, String y) {
          return pair(x, y, "taught", "teach");
        }

        @Override
        public boolean derivations(String x, String y) {
          return pair(x, y, "deduct", "deductible");
        }

        private boolean pair(String x, String y, String one, String other) {
          return x.equals(one) && y.equals(other) || x.equals(other) && y.equals(one);
        }
      };

  @Test
  void aNumberHedgedOtherwiseIsAnObjection() {
    assertThat(
            objection(
                "Is the self-employment tax rate about 15 percent?",
                "Is the self-employment tax rate exactly 15 percent?"))
        .contains("hedge");
    assertThat(objection("Can I bring up to 2 bags?", "Can I bring at least 2 bags?"))
        .contains("hedge");
    assertThat(
            objection(
                "Is a child aged 12 included in the 3 to 12 ticket price?",
                "Is a child aged 12 included in the 3 to under 12 ticket price?"))
        .contains("hedge");
    assertThat(objection("Do I need 5 or more signatures?", "Do I need 5 signatures?"))
        .contains("hedge");
    assertThat(objection("Can I rent a car if I am over 21?", "Can I rent a car if I am 21?"))
        .contains("hedge");
    assertThat(
            objection(
                "Is shipping free on orders over 50 dollars?",
                "Is shipping free on orders above 50 dollars?"))
        .isEmpty();
    assertThat(
            objection(
                "What is the payment on a loan over 30 years?",
                "What is the payment on a 30 year loan?"))
        .isNotEqualTo(Optional.of("hedge")); // a span, not a bound
  }

  @Test
  void hedgesOfOneClassOrOnOneSideOnlyAreNoObjection() {
    AlignmentGuard strict =
        AlignmentGuard.builder(words).enable(AlignmentGuard.Check.ADDITION).build();
    assertThat(
            strict.objection(
                "Is a marathon about 42 kilometres long?",
                "Is a marathon roughly 42 kilometres long?"))
        .isEmpty();
    assertThat(objection("Is a mile about 1.6 kilometres?", "Is a mile 1.6 kilometres?")).isEmpty();
    assertThat(objection("What is the book about?", "What is this book about?")).isEmpty();
    assertThat(objection("What exactly is a mortgage?", "What is a mortgage?")).isEmpty();
  }

  @Test
  void aDirectionOfMotionOfAnotherClassIsARelation() {
    assertThat(
            objection(
                "Should I swim toward the shore in a rip current?",
                "Should I swim parallel to the shore in a rip current?"))
        .contains("relation");
    assertThat(objection("Should I walk toward the bear?", "Should I walk away from the bear?"))
        .contains("relation");
    assertThat(objection("Should I walk toward the exit?", "Should I walk towards the exit?"))
        .isEmpty();
  }

  @Test
  void oneAgainstAGroupOrAMultipleIsACount() {
    assertThat(objection("How much does a bee weigh?", "How much does a swarm of bees weigh?"))
        .contains("count");
    assertThat(
            objection(
                "How much does a kidney transplant cost?",
                "How much does a double kidney transplant cost?"))
        .contains("count");
    assertThat(
            objection(
                "How do I remove a stain from a carpet?", "How do I remove stains from a carpet?"))
        .isEmpty(); // "a" alone against a plural is generic
  }

  @Test
  void aThingPlacedBeforeOrAfterAnotherOnOneSideOnlyIsARelation() {
    assertThat(
            objection(
                "Is the Met open on Thanksgiving Day?",
                "Is the Met open on the day after Thanksgiving?"))
        .contains("relation");
    assertThat(
            objection("What should I eat after a workout?", "After a workout, what should I eat?"))
        .isEmpty();
    assertThat(
            objection(
                "Is the pool open on Labor Day?", "Is the pool open the day before Labor Day?"))
        .contains("relation");
  }

  @Test
  void aQuestionForTheSubjectAgainstTheObjectAcrossFormsOfOneVerb() {
    AlignmentGuard withForms = AlignmentGuard.builder(words).wordRelations(FORMS).build();
    assertThat(
            withForms.objection(
                "Which painter taught Rembrandt?", "Which painter did Rembrandt teach?"))
        .contains("order");
    // without the forms of "teach", the two are told apart only as different words
    assertThat(objection("Which painter taught Rembrandt?", "Which painter did Rembrandt teach?"))
        .isNotEqualTo(Optional.of("order"));
  }

  @Test
  void anObjectQuestionAgainstAWhyQuestionWithMoreWords() {
    assertThat(
            objection(
                "What did the ancient Egyptians eat?",
                "Why did the ancient Egyptians eat so much bread?"))
        .contains("question");
    assertThat(objection("What does tannic mean?", "What does tannic mean when describing wine?"))
        .isNotEqualTo(Optional.of("question")); // "when" inside: no question for a time
  }

  @Test
  void wordsAddedOnOneSideAreExplainedBeforeTheAdditionCheckObjects() {
    AlignmentGuard strict =
        AlignmentGuard.builder(words)
            .wordRelations(FORMS)
            .enable(AlignmentGuard.Check.ADDITION)
            .build();
    assertThat(
            strict.objection(
                "Honestly, is it bad to work out on an empty stomach?",
                "Is it bad to work out on an empty stomach?"))
        .isEmpty();
    assertThat(
            strict.objection(
                "Explain how compound interest works.", "How does compound interest work?"))
        .isEmpty();
    assertThat(
            strict.objection(
                "How many calories are in 5 ounces of Merlot?",
                "How many calories are in five ounces of Merlot?"))
        .isEmpty();
    assertThat(
            strict.objection(
                "Can I deduct mortgage interest on a second home?",
                "Is mortgage interest on a second home deductible?"))
        .isEmpty();
    assertThat(
            strict.objection(
                "Explain teh difference between TCP and UDP",
                "Explain the difference between TCP and UDP"))
        .isEmpty();
    assertThat(strict.objection("Why do stars twinkle?", "What makes stars twinkle?")).isEmpty();
    assertThat(
            strict.objection(
                "What is the tallest mountain in Africa?",
                "What is the tallest volcanic mountain in Africa?"))
        .contains("addition");
    assertThat(strict.objection("Is the pharmacy open?", "Is the pharmacy open in the morning?"))
        .contains("addition");
  }

  @Test
  void aLeadInOfTwoClausesAboutTheAskerIsCourtesy() {
    assertThat(
            objection(
                "Forgive me, I'm not an art person: what is impressionism?",
                "What is impressionism?"))
        .isEmpty();
    assertThat(
            objection(
                "Nobody in my family knows this, so: why do onions make your eyes water?",
                "Why do onions make your eyes water?"))
        .isEmpty();
    assertThat(objection("I'm not vegan, sorry: is this cake vegan?", "Is this cake vegan?"))
        .contains("negation"); // the lead-in speaks of what is asked
  }

  @Test
  void anAcronymOfACompoundAndAnOwnerSaidAsAPlace() {
    assertThat(objection("How do I get a TV licence?", "How do I get a television licence?"))
        .isEmpty();
    assertThat(
            objection(
                "What are the HOA rules for fences?",
                "What are the homeowners association rules for fences?"))
        .isEmpty();
    assertThat(
            objection("Which is the longest river in Africa?", "What is Africa's longest river?"))
        .isEmpty();
    assertThat(objection("How do I get a TV licence?", "How do I get a fishing licence?"))
        .isPresent();
  }

  @Test
  void oppositesOfAmountsAndBoundsNoSetHasShown() {
    assertThat(
            objection(
                "What is the price per unit of the solar panels?",
                "What is the total price of the solar panels?"))
        .contains("opposite");
    assertThat(
            objection(
                "Did inflation rise by 2 percent?", "Did inflation rise by 2 percentage points?"))
        .contains("opposite");
    assertThat(objection("What is my net salary?", "What is my gross salary?"))
        .contains("opposite");
    assertThat(objection("Are the odd pages printed first?", "Are the even pages printed first?"))
        .contains("opposite");
    assertThat(
            objection(
                "How many years from 1900 to 2000 inclusive?",
                "How many years from 1900 to 2000 exclusive?"))
        .contains("opposite");
    assertThat(objection("Is military service compulsory?", "Is military service voluntary?"))
        .contains("modality");
    assertThat(
            objection(
                "Is the Latin course required for the degree?",
                "Is the Latin course an elective for the degree?"))
        .contains("modality");
  }

  @Test
  void aMainVerbInThePastAgainstThePresentIsATense() {
    assertThat(
            objection(
                "What happens if I miss the payment?", "What happened when I missed the payment?"))
        .contains("tense");
    assertThat(
            objection("How do I recover deleted photos?", "How do I recover the photos I deleted?"))
        .isEmpty(); // with an auxiliary, "-ed" may be a participle
    assertThat(objection("Tips for a balanced diet", "Tips to balance a diet"))
        .isNotEqualTo(Optional.of("tense")); // after an article, "-ed" is an adjective
  }

  @Test
  void theHedgeCheckCanBeTurnedOff() {
    AlignmentGuard without =
        AlignmentGuard.builder(words).disable(AlignmentGuard.Check.HEDGE).build();
    assertThat(
            without.objection("Is the rate about 15 percent?", "Is the rate exactly 15 percent?"))
        .isNotEqualTo(Optional.of("hedge"));
    assertThat(AlignmentGuard.Check.HEDGE.category()).isEqualTo("hedge");
  }
}
