package dev.aigateway.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Writes the generated part of {@code semantic-eval/judged-9.tsv} (split {@code judged9-gen}):
 * labelled prompt pairs over ten domains no other set covers (tattoo studios, driving schools,
 * chimney sweeping, piano tuning, funeral services, public swimming pools, zoos and safari parks,
 * pawnbrokers, bridal wear, fireworks displays).
 *
 * <p>Every question belongs to a domain, and every domain has a scene: a paragraph of about a
 * hundred words in which a customer describes their situation, as people paste it before a
 * question. A seeded draw opens about two rows in five with the scene (the same scene on both
 * sides, so the pair still differs only where its question differs) and the others with one of a
 * few short lead-ins; so a good share of the pairs is over 100 words long.
 *
 * <p>A question has a slot {@code @} filled from a pair of fillers {@code "cached|incoming"}: for a
 * near miss the two fillers differ in one detail that changes the right answer, for a paraphrase
 * they are two wordings of one thing (a question may be the slot alone, filled with two whole
 * wordings). A question with the slots {@code @1} and {@code @2} trades its two fillers between the
 * cached and the incoming prompt. Each family (one label and one kind of difference) lists its
 * questions; a seeded shuffle orders all its (question, filler) candidates and the first {@code
 * wanted} whose prompts were not used before (in any case) are kept, so every prompt appears once
 * and the rows are the same on every run.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.Judged9PairGenerator \
 *     OUTPUT.tsv
 * </pre>
 *
 * <p>The command writes the rows without a header; {@code judged-9.tsv} holds them after its
 * hand-written rows.
 */
public final class Judged9PairGenerator {

  /** The split every generated row carries. */
  static final String SPLIT = "judged9-gen";

  private static final long SEED = 9_2026_12_05L;

  /** The share of rows whose prompts open with their domain's scene. */
  private static final double SCENE_SHARE = 0.4;

  /** Short openings of the rows without a scene; the empty one leaves the question bare. */
  private static final List<String> LEAD_INS =
      List.of("", "", "Quick question: ", "Hi, ", "Hello, I was wondering: ", "Question for you. ");

  /** The domains, each with the scene a customer writes before a question. */
  enum Domain {
    TATTOO(
        "I'm 29 and booked in at a tattoo studio in town for my first tattoo, a fine-line botanical"
            + " design about the size of my palm. The artist has a two-month waiting list and asked"
            + " for a 60 pound deposit, which I paid last week. I have fairly sensitive skin, I"
            + " burn easily in the sun, and I'm going on a beach holiday in about six weeks. I"
            + " also take a daily antihistamine for hay fever. I want to do everything right so it"
            + " heals well and the lines stay crisp."),
    DRIVING(
        "My son turned 17 in March and has his provisional licence. He has had twelve lessons"
            + " with a local driving school and practises with me at weekends in our family car,"
            + " which is insured with him named as a learner. His instructor says he is good on"
            + " roundabouts but nervous on dual carriageways and when parking. He passed his"
            + " theory test in April, and we are trying to plan the rest of his lessons around his"
            + " college timetable and a part-time job at a supermarket, which is why I'm asking"
            + " a few questions."),
    CHIMNEY(
        "We bought a Victorian terraced house last autumn and it has two open fireplaces, one in"
            + " the living room and one in the main bedroom, plus a wood-burning stove that the"
            + " previous owners fitted in the dining room about eight years ago. We have no record"
            + " of when any of the chimneys were last swept. We'd like to use the stove most"
            + " evenings this winter, and maybe the living room fire at Christmas. There are two"
            + " small children in the house, and the neighbours share the chimney stack on one"
            + " side."),
    PIANO(
        "I inherited my grandmother's piano, a 1970s upright that had stood in her front room for"
            + " decades, and it was moved to our flat last month by a specialist removal firm."
            + " It now stands against an inside wall of the living room, away from the radiator."
            + " Several keys in the top octave sound flat, one key in the middle sticks a little,"
            + " and the sustain pedal squeaks. My daughter has just started lessons and her"
            + " teacher says the piano should be looked at before she practises every day on it"
            + " for long."),
    FUNERAL(
        "My father died in hospital on Monday after a long illness. He was 81 and had said he"
            + " wanted a simple service without much fuss, but he did not leave written wishes"
            + " and he did not have a prepaid funeral plan. My mother is 79 and finds the"
            + " paperwork overwhelming, so my brother and I are arranging things together. Some"
            + " relatives will travel from Ireland and Canada, and we'd like the service to happen"
            + " within about two weeks if possible. We have never arranged a funeral before and"
            + " would be grateful for a clear answer."),
    POOL(
        "Our family recently moved close to the council leisure centre, which has a 25-metre main"
            + " pool, a smaller learner pool, and a sauna. I swim lengths before work three times a"
            + " week, my partner does aqua aerobics, and our two children, aged 6 and 10, are"
            + " learning to swim. The centre sells monthly memberships, pay-as-you-go sessions and"
            + " a family pass, and it runs lessons in blocks of ten weeks. The timetable changes in"
            + " the school holidays, which always confuses us, so I want to check a few details."),
    ZOO(
        "We are planning a day out at the zoo and safari park about an hour from home for my"
            + " daughter's eighth birthday. There will be two adults, five children aged 7 to 9,"
            + " and my mother, who uses a mobility scooter. We would like to drive through the"
            + " safari section in our own car, see the penguin feeding, and have a picnic at"
            + " lunchtime. One of the children is allergic to nuts and another is scared of large"
            + " animals. We have not booked anything yet, so I want to get the tickets and timings"
            + " right."),
    PAWN(
        "I'm self-employed and had a slow couple of months, so I'm short of about 600 pounds"
            + " until a client pays me at the end of next month. I have a gold necklace that was"
            + " my grandmother's, a fairly new laptop, and an old watch that I think is worth"
            + " something. I have never used a pawnbroker before and I'm nervous about losing"
            + " things with sentimental value. A shop on our high street says it offers loans"
            + " against jewellery and electronics, and I want to understand how it works before I"
            + " walk in."),
    BRIDAL(
        "I'm getting married in September next year in a small church followed by a reception"
            + " in a barn. I've started visiting bridal shops and found a lace A-line dress I love"
            + " at a boutique in the city centre. It is a sample size two sizes bigger than mine,"
            + " so it would need ordering or altering. The shop asks for a 50% deposit when"
            + " ordering and quotes four to six months for delivery. My budget is around 1,800"
            + " pounds, including alterations and a veil, so I want to get the timing and the"
            + " costs right."),
    FIREWORKS(
        "Our village committee is organising a fireworks display for bonfire night on the"
            + " recreation ground, which backs onto a farm with horses and a row of houses. We"
            + " expect around 400 people, including lots of young children, and the budget for"
            + " fireworks is about 2,500 pounds. Two volunteers have run displays before, but"
            + " nobody has professional training. We will also have a bonfire, a hot food stall"
            + " and a raffle. The parish council has asked us to show that the event is safe and"
            + " legal before it will give permission.");

    private final String scene;

    Domain(String scene) {
      this.scene = scene;
    }
  }

  /** One question of a family: its domain, its text with slots, and its pairs of fillers. */
  private record Question(Domain domain, String text, List<String> fillers) {}

  private final Random random = new Random(SEED);
  private final Set<String> used = new HashSet<>();
  private final List<String> rows = new ArrayList<>();

  private Judged9PairGenerator() {}

  /**
   * Writes the generated rows to a file.
   *
   * @param args one argument: the file to write
   * @throws IOException if the file cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: Judged9PairGenerator OUTPUT.tsv");
    }
    List<String> generated = rows();
    Files.write(Path.of(args[0]), generated, StandardCharsets.UTF_8);
    System.out.println(generated.size() + " rows written to " + args[0]);
  }

  /** The generated rows, in order, without a header. */
  static List<String> rows() {
    Judged9PairGenerator generator = new Judged9PairGenerator();
    generator.nearMisses();
    generator.paraphrases();
    return List.copyOf(generator.rows);
  }

  /** The number of words of a prompt (runs of non-space characters). */
  static int words(String prompt) {
    return prompt.strip().split("\\s+").length;
  }

  private static Question q(Domain domain, String text, String... fillers) {
    return new Question(domain, text, List.of(fillers));
  }

  private void nearMisses() {
    family(
        "near_miss",
        "clock_time",
        4,
        q(
            Domain.POOL,
            "Is the learner pool open for family swimming at @ on Sundays?",
            "9:30 am|9:30 pm"),
        q(Domain.FUNERAL, "Can the crematorium fit in a service at @ on a Friday?", "11 am|4 pm"),
        q(Domain.ZOO, "Is the penguin feeding at @ every day?", "11:15|14:15"),
        q(
            Domain.FIREWORKS,
            "Can we set off the fireworks at @ without breaking the noise rules?",
            "7 pm|11:30 pm"));
    family(
        "near_miss",
        "number_unit",
        4,
        q(
            Domain.TATTOO,
            "How long would a tattoo of about @ usually take in one sitting?",
            "5 cm|25 cm"),
        q(
            Domain.PAWN,
            "How much interest would I pay on a @ pawn loan over three months?",
            "200 pound|2,000 pound"),
        q(Domain.DRIVING, "Is it realistic to pass after @ lessons in total?", "20|45"),
        q(
            Domain.FIREWORKS,
            "How far back must the crowd stand from fireworks with a @ shell?",
            "50 mm|150 mm"));
    family(
        "near_miss",
        "negation",
        4,
        q(Domain.TATTOO, "Should I @ keep the cling film on overnight after the session?", "|not"),
        q(
            Domain.CHIMNEY,
            "Is it safe to light the stove if the sweep @ found a crack in the flue liner?",
            "has|has not"),
        q(
            Domain.PIANO,
            "Does it make sense to tune it now if the sticking key is @ fixed first?",
            "|not"),
        q(
            Domain.BRIDAL,
            "Is the alteration fee refunded if the dress @ need altering after all?",
            "does not|does"));
    family(
        "near_miss",
        "role_swap",
        4,
        q(
            Domain.POOL,
            "Can I move my membership from @1 to @2 in the middle of a month?",
            "pay-as-you-go|the monthly plan"),
        q(
            Domain.DRIVING,
            "Can my son swap his lessons from @1 to @2 during his exams?",
            "evenings|mornings"),
        q(
            Domain.ZOO,
            "Is it cheaper to upgrade from @1 to @2 on the day?",
            "a walk-through ticket|a safari ticket"),
        q(
            Domain.FIREWORKS,
            "Is it safe to fire the rockets from @1 towards @2?",
            "the farm side|the houses"));
    family(
        "near_miss",
        "tense",
        3,
        q(
            Domain.CHIMNEY,
            "Do we need a certificate for the stove that @ fitted by the previous owners?",
            "was|will be"),
        q(
            Domain.DRIVING,
            "Does his theory pass still matter if he @ his practical test in May?",
            "passed|fails"),
        q(
            Domain.TATTOO,
            "Is swimming in the sea a problem for a tattoo that I @?",
            "got last month|am getting next week"));
    family(
        "near_miss",
        "quantifier",
        3,
        q(Domain.CHIMNEY, "Do @ of the chimneys need sweeping before winter?", "all|any"),
        q(
            Domain.ZOO,
            "Are @ of the animal talks suitable for a child who is scared of large animals?",
            "all|any"),
        q(Domain.PAWN, "Will I lose @ of my items if I miss one payment?", "all|some"));
    family(
        "near_miss",
        "modality",
        3,
        q(Domain.FUNERAL, "@ we register the death before we book the crematorium?", "Must|Can"),
        q(Domain.FIREWORKS, "@ we tell the farmer next door about the display?", "Should|Must"),
        q(Domain.POOL, "@ an adult be in the water with my 6-year-old?", "Must|May"));
    family(
        "near_miss",
        "comparative",
        3,
        q(
            Domain.PIANO,
            "Is it @ to tune an upright piano than a grand piano?",
            "cheaper|more expensive"),
        q(
            Domain.BRIDAL,
            "Is it @ to order the dress in my size than to alter the sample?",
            "quicker|slower"),
        q(Domain.TATTOO, "Does fine-line work hurt @ than bold traditional lines?", "more|less"));
    family(
        "near_miss",
        "antonym",
        3,
        q(
            Domain.PIANO,
            "Why would some notes in the top octave sound @ after a move?",
            "flat|sharp"),
        q(Domain.POOL, "Why does the water in the main pool feel so @ this week?", "cold|warm"),
        q(
            Domain.TATTOO,
            "Is it normal for a new tattoo to look @ on the third day?",
            "shiny|dull"));
    family(
        "near_miss",
        "action",
        4,
        q(Domain.PIANO, "How much does it cost to @ a 1970s upright piano?", "tune|restring"),
        q(Domain.BRIDAL, "How long before the wedding should I @ the veil?", "order|collect"),
        q(Domain.CHIMNEY, "How often should we @ the stove's flue?", "sweep|inspect with a camera"),
        q(Domain.PAWN, "What do I need to bring to @ my necklace?", "pawn|redeem"));
    family(
        "near_miss",
        "scope",
        3,
        q(
            Domain.FIREWORKS,
            "What insurance do we need for a display with @?",
            "a crowd of 400|a crowd of 40"),
        q(
            Domain.FUNERAL,
            "How much does a simple service cost @?",
            "at the crematorium|in a church followed by a burial"),
        q(
            Domain.ZOO,
            "Is the mobility scooter allowed @?",
            "in the walk-through areas|in the safari drive"));
    family(
        "near_miss",
        "with_without",
        3,
        q(
            Domain.DRIVING,
            "Can my son take the practical test in our car @ dual controls?",
            "with|without"),
        q(Domain.BRIDAL, "What does the dress come to @ the veil and alterations?", "with|without"),
        q(Domain.POOL, "Can I use the sauna @ a monthly membership?", "with|without"));
    family(
        "near_miss",
        "date",
        3,
        q(
            Domain.FIREWORKS,
            "Can we legally let off fireworks after 11 pm on @?",
            "5 November|6 November"),
        q(
            Domain.BRIDAL,
            "If I order the dress on @, will it arrive in time for a September wedding?",
            "1 March|1 July"),
        q(Domain.ZOO, "Is the park open late on @?", "31 October|31 December"));
    family(
        "near_miss",
        "frequency",
        3,
        q(
            Domain.PIANO,
            "Is tuning it @ enough for a child who practises every day?",
            "twice a year|once every two years"),
        q(
            Domain.CHIMNEY,
            "Is sweeping the stove @ enough if we use it most evenings?",
            "once a year|every three years"),
        q(
            Domain.POOL,
            "Is a monthly membership worth it if I swim @?",
            "three times a week|twice a month"));
    family(
        "near_miss",
        "age_group",
        4,
        q(
            Domain.POOL,
            "Can @ swim in the main pool during adult lane sessions?",
            "a 16-year-old|a 10-year-old"),
        q(
            Domain.TATTOO,
            "Can a @ get a small tattoo with a parent's consent?",
            "19-year-old|16-year-old"),
        q(Domain.ZOO, "Do @ go free at the safari park?", "children under 3|children under 10"),
        q(
            Domain.DRIVING,
            "Can a @ start driving lessons on a public road?",
            "17-year-old|16-year-old"));
    family(
        "near_miss",
        "weekday_weekend",
        3,
        q(Domain.FUNERAL, "Does a funeral cost more on a @?", "Saturday|Tuesday"),
        q(Domain.DRIVING, "Can he book his practical test on a @?", "Saturday|Wednesday"),
        q(Domain.ZOO, "Is the safari drive busier on a @?", "Sunday|Thursday"));
    family(
        "near_miss",
        "season",
        3,
        q(Domain.TATTOO, "Is @ a bad time to get a tattoo on my forearm?", "summer|winter"),
        q(
            Domain.CHIMNEY,
            "Is @ the best time to have the chimneys swept?",
            "late summer|midwinter"),
        q(Domain.ZOO, "Are the lions usually out in the safari section in @?", "January|July"));
    family(
        "near_miss",
        "indoor_outdoor",
        3,
        q(Domain.POOL, "Is the @ pool heated in winter?", "indoor|outdoor"),
        q(
            Domain.ZOO,
            "Is the @ play area suitable for an eighth birthday picnic?",
            "indoor|outdoor"),
        q(Domain.FIREWORKS, "Are cold sparklers allowed at an @ event?", "outdoor|indoor"));
    family(
        "near_miss",
        "min_max",
        3,
        q(
            Domain.PAWN,
            "What is the @ loan the shop will give against a gold necklace?",
            "minimum|maximum"),
        q(Domain.POOL, "What is the @ age for the aqua aerobics class?", "minimum|maximum"),
        q(
            Domain.DRIVING,
            "What is the @ number of hours a learner should drive before the test?",
            "minimum|maximum"));
    family(
        "near_miss",
        "ordinal",
        3,
        q(Domain.BRIDAL, "What happens at the @ dress fitting?", "first|last"),
        q(Domain.DRIVING, "What should his @ lesson on dual carriageways cover?", "first|third"),
        q(Domain.FUNERAL, "Who usually speaks @ at a simple crematorium service?", "first|last"));
    family(
        "near_miss",
        "asker_role",
        3,
        q(Domain.FUNERAL, "As @, can I register my father's death?", "his son|his neighbour"),
        q(
            Domain.DRIVING,
            "As @, can I sit in on his driving lessons?",
            "his parent|his girlfriend"),
        q(Domain.PAWN, "As @, can I redeem the watch my brother pawned?", "his wife|his friend"));
    family(
        "near_miss",
        "refund_exchange",
        3,
        q(
            Domain.BRIDAL,
            "Can I @ the dress if it arrives in the wrong shade of ivory?",
            "get a refund on|exchange"),
        q(
            Domain.ZOO,
            "Can I @ the tickets if it rains on the day?",
            "get a refund on|change the date of"),
        q(Domain.FIREWORKS, "Can we @ the fireworks we don't use?", "get a refund on|swap"));
    family(
        "near_miss",
        "threshold_side",
        3,
        q(
            Domain.FIREWORKS,
            "Do we need a licence to store @ of fireworks for a week?",
            "40 kg|260 kg"),
        q(
            Domain.PAWN,
            "Is a @ loan covered by the consumer credit rules?",
            "300 pound|30,000 pound"),
        q(
            Domain.BRIDAL,
            "Does the shop alter dresses for free when the order is @?",
            "over 1,500 pounds|under 1,500 pounds"));
    family(
        "near_miss",
        "transmission",
        3,
        q(
            Domain.DRIVING,
            "How many lessons does a learner usually need in @ car?",
            "a manual|an automatic"),
        q(
            Domain.DRIVING,
            "If he passes in @, which cars can he drive afterwards?",
            "a manual|an automatic"),
        q(Domain.DRIVING, "Is @ car cheaper to insure for a new driver?", "a manual|an automatic"));
    family(
        "near_miss",
        "ceremony_type",
        3,
        q(
            Domain.FUNERAL,
            "What paperwork does the funeral director need for a @?",
            "cremation|burial"),
        q(Domain.FUNERAL, "How soon after a @ can the family hold a memorial?", "cremation|burial"),
        q(Domain.FUNERAL, "Is a @ service usually cheaper?", "direct cremation|church"));
    family(
        "near_miss",
        "water_treatment",
        3,
        q(Domain.POOL, "Why do my eyes sting after swimming in a @ pool?", "chlorinated|saltwater"),
        q(Domain.POOL, "Is a @ pool gentler on my son's eczema?", "chlorinated|saltwater"),
        q(
            Domain.POOL,
            "Is a @ pool safe for my daughter, who reacts badly to chlorine?",
            "saltwater|chlorinated"));
    family(
        "near_miss",
        "material",
        3,
        q(
            Domain.PAWN,
            "Will the shop lend more on a necklace of @?",
            "18-carat gold|gold-plated silver"),
        q(Domain.BRIDAL, "Can a @ dress be taken in by two sizes?", "lace|satin"),
        q(
            Domain.CHIMNEY,
            "Does a @ flue liner need a different sweeping brush?",
            "stainless steel|clay"));
    family(
        "near_miss",
        "body_part",
        3,
        q(Domain.TATTOO, "Does a tattoo on the @ fade faster?", "inner wrist|upper back"),
        q(Domain.TATTOO, "How painful is a fine-line tattoo on the @?", "ribs|outer thigh"),
        q(Domain.BRIDAL, "Can the seamstress alter the @ of a lace dress?", "hem|bodice"));
    family(
        "near_miss",
        "new_used",
        3,
        q(
            Domain.PAWN,
            "Will the shop take a @ laptop as security?",
            "two-year-old|brand-new boxed"),
        q(Domain.BRIDAL, "Is it worth buying a @ wedding dress?", "pre-loved|new"),
        q(
            Domain.PIANO,
            "Does a @ piano need tuning more often in its first year with us?",
            "new|50-year-old"));
    family(
        "near_miss",
        "inverse_operation",
        3,
        q(Domain.PIANO, "How do I @ the sustain pedal on an upright piano?", "tighten|loosen"),
        q(Domain.CHIMNEY, "How do I @ the flue of an open fireplace?", "block|unblock"),
        q(Domain.FIREWORKS, "What's the safest way to @ a rack of fireworks?", "load|unload"));
    family(
        "near_miss",
        "kinship",
        2,
        q(
            Domain.FUNERAL,
            "Who has the right to decide on the funeral arrangements, the @?",
            "widow|grandchildren"),
        q(
            Domain.PAWN,
            "Can I pawn a necklace left to me by my @ without probate?",
            "grandmother|husband"));
  }

  private void paraphrases() {
    family(
        "paraphrase",
        "clock_equiv",
        5,
        q(Domain.POOL, "Are there adult-only lanes at @ on weekdays?", "7 am|07:00"),
        q(
            Domain.FUNERAL,
            "Is the chapel free for a service at @ next Thursday?",
            "2:30 pm|half past two in the afternoon"),
        q(Domain.ZOO, "Does the safari drive close at @ in summer?", "5 pm|17:00"),
        q(Domain.FIREWORKS, "Is @ too late to start a display for families?", "8:30 pm|20:30"),
        q(Domain.DRIVING, "Can he have a lesson at @ on a school day?", "4 pm|16:00"),
        q(
            Domain.TATTOO,
            "Is my appointment at @ long enough for a palm-sized design?",
            "10 am|ten in the morning"));
    family(
        "paraphrase",
        "number_equiv",
        5,
        q(Domain.PAWN, "Can I borrow @ against a gold necklace?", "500 pounds|£500"),
        q(Domain.FIREWORKS, "Is a @ budget enough for a 15-minute display?", "2,500 pound|£2.5k"),
        q(Domain.ZOO, "How much is a group ticket for @ children?", "five|5"),
        q(Domain.BRIDAL, "Is a @ deposit normal for a made-to-order dress?", "50%|fifty percent"),
        q(Domain.DRIVING, "Does a block of @ lessons come with a discount?", "ten|10"),
        q(Domain.POOL, "Are lessons sold in blocks of @?", "ten weeks|10 weeks"));
    family(
        "paraphrase",
        "abbreviation",
        5,
        q(
            Domain.DRIVING,
            "@",
            "How many hours of practice on a motorway should he have before his test?|how many hrs of motorway practice before his test?"),
        q(
            Domain.FUNERAL,
            "@",
            "Do we need the death certificate before we can contact the funeral director?|need the death cert before contacting the funeral director?"),
        q(
            Domain.PIANO,
            "@",
            "Approximately how much does a piano tuning cost in London?|approx cost of a piano tuning in London?"),
        q(
            Domain.POOL,
            "@",
            "Is there a discount for members aged over 60 years?|any discount for members 60+ yrs?"),
        q(
            Domain.ZOO,
            "@",
            "What time does the zoo open on Saturday?|what time does the zoo open on sat?"),
        q(
            Domain.PAWN,
            "@",
            "Do I need identification to pawn a laptop?|do I need ID to pawn a laptop?"));
    family(
        "paraphrase",
        "synonym_verb",
        5,
        q(
            Domain.BRIDAL,
            "How long does it take to @ a wedding dress by two sizes?",
            "take in|alter"),
        q(
            Domain.PIANO,
            "Should I @ a piano technician before my daughter practises on it daily?",
            "call|get in touch with"),
        q(Domain.FIREWORKS, "How do we @ the fireworks safely on the night?", "set off|launch"),
        q(Domain.CHIMNEY, "Can we @ the stove before the chimney has been swept?", "use|light"),
        q(Domain.PAWN, "How do I @ my watch at the end of the loan?", "get back|reclaim"),
        q(Domain.ZOO, "Can we @ our own food into the park for a picnic?", "bring|take"));
    family(
        "paraphrase",
        "reword",
        6,
        q(
            Domain.TATTOO,
            "@",
            "How should I look after a new tattoo in the first two weeks?|What aftercare does a fresh tattoo need during its first fortnight?"),
        q(
            Domain.CHIMNEY,
            "@",
            "What signs tell me a chimney needs sweeping?|How can I tell that a chimney is due for a sweep?"),
        q(
            Domain.FUNERAL,
            "@",
            "What does a funeral director actually do?|What is a funeral director's job, exactly?"),
        q(
            Domain.PIANO,
            "@",
            "Why does one of the middle keys stick?|What makes a key in the middle of the piano get stuck?"),
        q(
            Domain.BRIDAL,
            "@",
            "When should I book my first dress fitting?|How far ahead should the first fitting of my dress be booked?"),
        q(
            Domain.FIREWORKS,
            "@",
            "How do we keep the crowd safe during the display?|What keeps the spectators safe while the fireworks are going off?"),
        q(
            Domain.POOL,
            "@",
            "How do I choose the right swimming lesson level for my child?|What is the way to pick the correct lesson level for my child?"));
    family(
        "paraphrase",
        "question_imperative",
        5,
        q(
            Domain.ZOO,
            "@",
            "What should we pack for a day at the safari park?|List what we should pack for a day at the safari park."),
        q(Domain.PAWN, "@", "How does a pawn loan work?|Explain how a pawn loan works."),
        q(
            Domain.DRIVING,
            "@",
            "How can my son get more confident on dual carriageways?|Give me tips to help my son get more confident on dual carriageways."),
        q(
            Domain.FUNERAL,
            "@",
            "What should go into a short eulogy?|Tell me what should go into a short eulogy."),
        q(
            Domain.CHIMNEY,
            "@",
            "How should we prepare the room before the chimney sweep arrives?|Describe how to prepare the room before the chimney sweep arrives."),
        q(
            Domain.TATTOO,
            "@",
            "Which creams are good for a healing tattoo?|Recommend some creams for a healing tattoo."));
    family(
        "paraphrase",
        "passive",
        4,
        q(
            Domain.CHIMNEY,
            "@",
            "Who issues the certificate after a chimney sweep?|By whom is the certificate issued after a chimney sweep?"),
        q(
            Domain.BRIDAL,
            "@",
            "Does the shop steam the dress before collection?|Is the dress steamed by the shop before collection?"),
        q(
            Domain.PIANO,
            "@",
            "How often should a technician regulate the action of an upright piano?|How often should the action of an upright piano be regulated by a technician?"),
        q(
            Domain.FIREWORKS,
            "@",
            "Who should check the site before the display starts?|By whom should the site be checked before the display starts?"),
        q(
            Domain.ZOO,
            "@",
            "Do the keepers feed the penguins in front of visitors?|Are the penguins fed by the keepers in front of visitors?"));
    family(
        "paraphrase",
        "spelling_variant",
        4,
        q(Domain.BRIDAL, "Can the shop change the @ of the lace trim?", "colour|color"),
        q(
            Domain.DRIVING,
            "Does the instructor @ extra lessons on roundabouts?",
            "organise|organize"),
        q(Domain.POOL, "Is there a @ for children's lessons?", "programme|program"),
        q(
            Domain.TATTOO,
            "Can you tattoo over a small scar near the @ of my back?",
            "centre|center"),
        q(Domain.FUNERAL, "Do we need to @ the hearse ourselves?", "organise|organize"));
    family(
        "paraphrase",
        "contraction",
        4,
        q(Domain.PAWN, "What happens if I @ pay back the loan on time?", "can't|cannot"),
        q(
            Domain.ZOO,
            "One of the children @ like big animals. Is the safari drive a bad idea?",
            "doesn't|does not"),
        q(
            Domain.PIANO,
            "Will it be a problem to tune it if I @ fix the pedal first?",
            "don't|do not"),
        q(Domain.FUNERAL, "@ we need to bring to register the death?", "What'll|What will"),
        q(
            Domain.CHIMNEY,
            "It @ be a problem to use the fire on Christmas Day if it was swept in October, will it?",
            "won't|will not"));
    family(
        "paraphrase",
        "filler",
        4,
        q(
            Domain.FIREWORKS,
            "@",
            "Do we need to tell the police about the display?|Just so we don't get it wrong, do we actually need to tell the police about the display at all?"),
        q(
            Domain.TATTOO,
            "@",
            "Can I drink alcohol the night before the tattoo?|Probably a silly question, but can I drink alcohol the night before the tattoo?"),
        q(
            Domain.BRIDAL,
            "@",
            "Can I bring my own veil to the final fitting?|One more thing, if that's okay: can I bring my own veil to the final fitting?"),
        q(
            Domain.POOL,
            "@",
            "Can the children use the flumes during lessons?|Sorry, I know this is a small thing, but can the children use the flumes during lessons?"),
        q(
            Domain.DRIVING,
            "@",
            "Can I practise with him on the motorway?|I've been meaning to ask for a while: can I practise with him on the motorway?"));
    family(
        "paraphrase",
        "unit_equiv",
        3,
        q(Domain.POOL, "How many lengths of the main pool make @?", "1 km|1,000 metres"),
        q(Domain.FIREWORKS, "Is a safety distance of @ from the houses enough?", "25 metres|25 m"),
        q(
            Domain.DRIVING,
            "Is a @ drive a good length for his first motorway trip?",
            "90-minute|one-and-a-half-hour"),
        q(Domain.BRIDAL, "Can the train of the dress be shortened by @?", "30 cm|300 mm"));
    family(
        "paraphrase",
        "date_equiv",
        3,
        q(Domain.FIREWORKS, "Are the noise rules different on @?", "bonfire night|5 November"),
        q(Domain.ZOO, "Is the zoo open on @?", "Boxing Day|26 December"),
        q(Domain.FUNERAL, "Can a funeral take place on @?", "Christmas Eve|24 December"),
        q(
            Domain.BRIDAL,
            "Is @ too late to order a dress for a September wedding?",
            "Jan. 15|15 January"));
    family(
        "paraphrase",
        "typo_casing",
        4,
        q(
            Domain.PIANO,
            "@",
            "Can a piano be tuned right after it has been moved?|can a piano be tuned rigth after its been moved"),
        q(
            Domain.CHIMNEY,
            "@",
            "Is a bird's nest in the chimney a fire risk?|is a birds nest in the chimeny a fire risk"),
        q(
            Domain.PAWN,
            "@",
            "What happens to my watch if the shop goes out of business?|what happens to my watch if the shop goes out of buisness"),
        q(
            Domain.ZOO,
            "@",
            "Can a mobility scooter be hired at the entrance?|can a mobility scooter be hired at the entrence"),
        q(
            Domain.TATTOO,
            "@",
            "Will an antihistamine affect how my tattoo heals?|will an antihistamine efect how my tatoo heals"));
    family(
        "paraphrase",
        "reorder",
        4,
        q(
            Domain.FUNERAL,
            "@",
            "For relatives flying in from Canada, how much notice of the funeral date is fair?|How much notice of the funeral date is fair for relatives flying in from Canada?"),
        q(
            Domain.PIANO,
            "@",
            "Before my daughter's lessons start, what should the technician check?|What should the technician check before my daughter's lessons start?"),
        q(
            Domain.ZOO,
            "@",
            "With a child who has a nut allergy, which food outlets at the park are safe?|Which food outlets at the park are safe for a child with a nut allergy?"),
        q(
            Domain.PAWN,
            "@",
            "If I pay off the loan early, is there a fee?|Is there a fee if I pay off the loan early?"),
        q(
            Domain.CHIMNEY,
            "@",
            "When a chimney is shared with the neighbours, who pays for sweeping it?|Who pays for sweeping a chimney that is shared with the neighbours?"));
  }

  /**
   * Adds up to {@code wanted} rows of one family: its candidates (every question with every one of
   * its filler pairs) in a seeded order, each kept when neither of its prompts was used before.
   */
  private void family(String label, String kind, int wanted, Question... questions) {
    List<String[]> candidates = new ArrayList<>();
    for (Question question : questions) {
      for (String filler : question.fillers()) {
        String[] sides = filler.split("\\|", -1);
        if (sides.length != 2) {
          throw new IllegalStateException("a filler pair is 'cached|incoming': " + filler);
        }
        candidates.add(fill(question, sides[0], sides[1]));
      }
    }
    Collections.shuffle(candidates, random);
    int kept = 0;
    for (String[] pair : candidates) {
      if (kept == wanted) {
        break;
      }
      String opening = openingFor(pair[2]);
      String cached = opening + pair[0];
      String incoming = opening + pair[1];
      if (used.contains(lower(cached)) || used.contains(lower(incoming))) {
        continue;
      }
      used.add(lower(cached));
      used.add(lower(incoming));
      rows.add(String.join("\t", label, kind, cached, incoming, SPLIT));
      kept++;
    }
    if (kept < wanted) {
      throw new IllegalStateException(kind + ": " + kept + " of " + wanted + " rows");
    }
  }

  /** The question filled for the cached and the incoming prompt, and the domain's name. */
  private static String[] fill(Question question, String cachedFiller, String incomingFiller) {
    String text = question.text();
    String cached;
    String incoming;
    if (text.contains("@1")) {
      cached = text.replace("@1", cachedFiller).replace("@2", incomingFiller);
      incoming = text.replace("@1", incomingFiller).replace("@2", cachedFiller);
    } else {
      cached = text.replace("@", cachedFiller);
      incoming = text.replace("@", incomingFiller);
    }
    return new String[] {tidy(cached), tidy(incoming), question.domain().name()};
  }

  /** Either the domain's scene or a short lead-in, drawn from the seeded random source. */
  private String openingFor(String domain) {
    if (random.nextDouble() < SCENE_SHARE) {
      return Domain.valueOf(domain).scene + " ";
    }
    return LEAD_INS.get(random.nextInt(LEAD_INS.size()));
  }

  /** Collapses the doubled spaces an empty filler leaves. */
  private static String tidy(String prompt) {
    return prompt.replaceAll(" {2,}", " ").strip();
  }

  private static String lower(String prompt) {
    return prompt.toLowerCase(Locale.ROOT);
  }
}
