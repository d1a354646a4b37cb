package dev.aigateway.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Writes the generated part of {@code semantic-eval/judged-7.tsv} (split {@code judged7-gen}):
 * labelled prompt pairs from templates and fillers in sixteen domains no other set covers (laundry
 * and dry cleaning, hair salons and barbers, vinyl records, smart home devices, language-learning
 * apps, house removals, floristry, locksmiths, pest control, escape rooms, bowling alleys, karaoke
 * bars, skateboarding, self-storage, car washes, kite flying).
 *
 * <p>Each near-miss family is one template with a {@code {}} slot and pairs of fillers that differ
 * in one kind of detail ("weekly|one-off"), or a template with two slots {@code {1}} and {@code
 * {2}} whose fillers trade places. Each paraphrase family is two wordings of one request filled
 * with one filler, or whole pairs written out. A seeded random draw picks which candidates of a
 * family are used; a candidate whose prompt already occurs (in any case) is skipped, so every
 * prompt appears once and the rows are the same on every run.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.Judged7TemplateGenerator \
 *     OUTPUT.tsv
 * </pre>
 *
 * <p>The command writes the rows without a header; {@code judged-7.tsv} holds them after its
 * hand-written rows.
 */
public final class Judged7TemplateGenerator {

  /** The split every generated row carries. */
  static final String SPLIT = "judged7-gen";

  private static final long SEED = 7_2026_12_05L;

  private final Random draw = new Random(SEED);
  private final Set<String> seen = new LinkedHashSet<>();
  private final List<String> out = new ArrayList<>();

  private Judged7TemplateGenerator() {}

  /**
   * Writes the generated rows to a file.
   *
   * @param args one argument: the file to write
   * @throws IOException if the file cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: Judged7TemplateGenerator OUTPUT.tsv");
    }
    List<String> rows = rows();
    Files.write(Path.of(args[0]), rows, StandardCharsets.UTF_8);
    System.out.println(rows.size() + " rows written to " + args[0]);
  }

  /** The generated rows, in order, without a header. */
  static List<String> rows() {
    Judged7TemplateGenerator generator = new Judged7TemplateGenerator();
    generator.writeNearMisses();
    generator.writeParaphrases();
    return List.copyOf(generator.out);
  }

  private void writeNearMisses() {
    vary(
        "recurring_one_off",
        5,
        slot(
            "How much is a {} pest control treatment for mice in a terraced house?",
            "one-off|quarterly"),
        slot("Can I book a {} flower delivery to my mum's care home?", "one-off|weekly"),
        slot("Do you have a {} laundry pickup for a family of five?", "weekly|one-time"),
        slot("What does a {} car wash cost for an SUV?", "single|monthly unlimited"),
        slot("Is there a {} karaoke room booking for our office team?", "one-off|monthly"));
    vary(
        "upgrade_downgrade",
        5,
        slot("Can I {} my language app plan halfway through the year?", "upgrade|downgrade"),
        slot("Is there a fee to move my storage unit to a {} size?", "bigger|smaller"),
        slot(
            "Do I keep my doorbell camera's recordings if I {} my cloud plan?",
            "downgrade|upgrade"),
        slot("Can I {} my car wash membership from the app?", "upgrade|downgrade"),
        slot(
            "Will my streak survive if I {} to the family plan of the language app?",
            "upgrade|downgrade"));
    vary(
        "threshold_side",
        5,
        slot("Is a storage unit kept {} 10 degrees safe for an upright piano?", "above|below"),
        slot(
            "Does the locksmith charge a call-out fee for jobs {} 5 miles of the shop?",
            "within|beyond"),
        slot("Do kids {} 8 get bumpers free at the bowling alley?", "under|over"),
        slot("Do you charge a deposit for karaoke groups of {} 10 people?", "more than|fewer than"),
        slot("Is it safe to fly a kite in winds {} 25 mph?", "above|below"));
    vary(
        "platform",
        5,
        slot("How do I pair the smart plug with {}?", "Google Home|Alexa"),
        slot("Does the language app's offline mode work on {}?", "an iPad|a Kindle Fire"),
        slot("Can I stream from my Bluetooth turntable to {}?", "an iPhone|a Windows laptop"),
        slot("Where is the karaoke app's microphone setting on {}?", "Android|iOS"),
        slot("Can I open the smart lock from the {} widget?", "Apple Watch|Wear OS"));
    vary(
        "new_existing",
        4,
        slot("Is the first bowling game free for {} members?", "new|existing"),
        slot("Do {} customers get a free first month at the self-storage place?", "new|returning"),
        slot("Does the salon give {} clients 20% off a colour?", "new|regular"),
        slot("Can {} subscribers get the vinyl club's welcome record?", "new|current"));
    vary(
        "temporary_permanent",
        4,
        slot(
            "How much does a locksmith charge for a {} fix on a broken front door lock?",
            "temporary|permanent"),
        slot("Will a {} hair colour be gone before my job interview?", "temporary|permanent"),
        slot(
            "Do I need council permission for a {} skate ramp in my driveway?",
            "temporary|permanent"),
        slot("Can I rent a {} parking space at the storage facility?", "temporary|permanent"));
    vary(
        "sales_channel",
        4,
        slot("Are escape room tickets cheaper {}?", "online|at the door"),
        slot("Can I order the florist's wedding package {}?", "online|in the shop"),
        slot("Is a removal quote cheaper if I book {}?", "online|by phone"),
        slot("Are bowling shoes included when you book a lane {}?", "on the website|at the desk"));
    vary(
        "payment_method",
        4,
        slot("Can I pay the removal company {} on moving day?", "in cash|by card"),
        slot("Does the laundry pickup service accept {}?", "PayPal|cheques"),
        slot(
            "Is there a surcharge for paying the locksmith {}?", "by credit card|by bank transfer"),
        slot("Can I pay for the car wash {}?", "with Apple Pay|with tokens"));
    vary(
        "refund_exchange",
        4,
        slot(
            "Can I get {} for a skateboard deck that warped within a week?",
            "a refund|an exchange"),
        slot("Will the florist {} a bouquet that wilted the next day?", "refund|replace"),
        slot(
            "Can I take back a record with a scratch on side B for {}?",
            "my money back|another copy"),
        slot("Can I {} a kite that tore on its first flight?", "get a refund for|exchange"));
    vary(
        "domestic_international",
        4,
        slot("Does the removal firm do {} moves for a one-bedroom flat?", "domestic|international"),
        slot("Can the florist deliver {} on Mother's Day?", "nationwide|abroad"),
        slot(
            "How much does the record shop charge for {} shipping on a box set?",
            "domestic|international"),
        slot("Does the language app's tutor plan include {} calls?", "local|international"));
    vary(
        "possessive",
        5,
        slot("Can I book {} haircut online?", "my|my son's"),
        slot("Can the locksmith open {} car without the key?", "my|my neighbour's"),
        slot("How do I see {} progress in the language app?", "my|my daughter's"),
        slot("Does the pest control visit cover {} garden too?", "my|my landlord's"),
        slot("Can I use {} storage unit's access code?", "my|my ex-partner's"));
    vary(
        "permission_level",
        4,
        slot("Can {} on the smart home account unlock the front door?", "a guest|an admin"),
        slot("Can {} in the shared language course edit the word lists?", "a viewer|an editor"),
        slot(
            "Can {} of the storage unit change the gate code?",
            "a named key holder|the account owner"),
        slot("Can {} in the bowling league change the team's lineup?", "a player|the captain"));
    vary(
        "file_type",
        3,
        slot("Can I show my escape room voucher as a {} on my phone?", "PDF|screenshot"),
        slot("Does the smart photo frame display {} files?", "HEIC|RAW"),
        slot("Can the karaoke machine play songs from {} file?", "an MP3|a MIDI"));
    vary(
        "number_unit",
        6,
        slot("How much does it cost to store {} of furniture for a month?", "50 sq ft|200 sq ft"),
        slot("How long does a {} load take in the industrial dryer?", "10 kg|20 kg"),
        slot("How many flowers go into a {} bouquet?", "25-dollar|100-dollar"),
        slot("How much is a removal van for a {} move?", "20-mile|200-mile"),
        slot("What line length should I use for a {} stunt kite?", "1.5 m|3 m"),
        slot("How many lanes should I book for {} bowlers?", "6|16"),
        slot("How many rooms does an escape room venue need for a group of {}?", "8|30"));
    vary(
        "clock_time",
        4,
        slot("Can I drop off dry cleaning at {} and get it back the same day?", "7 am|7 pm"),
        slot("Is the karaoke bar still open at {} on a Sunday?", "1:30 am|1:30 pm"),
        slot("Can the removal crew start at {}?", "6:15 am|6:15 pm"),
        slot("Will the pest control team arrive before {}?", "9:00 am|9:00 pm"),
        slot("Is {} a good time to fly a kite on the beach?", "5:45 am|5:45 pm"));
    vary(
        "action",
        5,
        slot("How do I {} a storage unit?", "rent|vacate"),
        slot("How do I {} a smart lock's guest code?", "share|revoke"),
        slot("How do I {} my escape room booking?", "move|cancel"),
        slot("How do I {} a warped record?", "flatten|sell"),
        slot("How do I {} a lesson in the language app?", "skip|repeat"),
        slot("How do I {} the bearings on my skateboard?", "clean|replace"));
    vary(
        "antonym",
        4,
        slot("Why does my turntable sound {}?", "sharp|flat"),
        slot("Why is the dryer leaving my towels {}?", "damp|stiff and scorched"),
        slot("Why does my skateboard feel {} on turns?", "loose|stiff"),
        slot("Why does my hair feel so {} after the salon treatment?", "dry|greasy"),
        slot("Why does my kite pull {} in a gusty wind?", "hard|weakly"));
    vary(
        "with_without",
        4,
        slot("Can I wash a wool jumper {} fabric softener?", "with|without"),
        slot("Can we play the escape room {} a game master's hints?", "with|without"),
        slot("Is it safe to ride a skateboard {} grip tape?", "with fresh|without"),
        slot("Can I sing at the karaoke bar {} a booking?", "with|without"));
    vary(
        "time_range",
        4,
        slot("Can I cancel the removal van {} paying the deposit?", "before|after"),
        slot("Should I put the tulips in water {} trimming the stems?", "before|after"),
        slot("Can my cat go back in the kitchen {} the pest spray dries?", "before|after"),
        slot("Should I wash my hair {} a perm?", "before|after"));
    vary(
        "frequency",
        3,
        slot("Should I descale the laundry's steam press {}?", "weekly|monthly"),
        slot("Should I water a potted orchid from the florist {}?", "daily|weekly"),
        slot("Should the smart smoke alarm be tested {}?", "weekly|yearly"));
    vary(
        "comparative",
        4,
        slot("Is dry cleaning {} than hand washing for a silk shirt?", "gentler|harsher"),
        slot("Is a 180-gram pressing {} than a standard record?", "louder|quieter"),
        slot("Is a wider deck {} for a beginner skateboarder?", "easier|harder"),
        slot("Is a delta kite {} to launch than a box kite?", "easier|harder"));
    vary(
        "negation",
        4,
        slot("Why {} my smart bulb respond to voice commands?", "does|doesn't"),
        slot("Why {} the washer drain at the end of a cycle?", "does|won't"),
        slot("Why {} the smart lock auto-lock when I close the door?", "does|doesn't"),
        slot("Why {} the escape room door unlock when we solved the last puzzle?", "did|didn't"));
    vary(
        "tense",
        3,
        slot("{} the bowling alley open the new lanes this month?", "Did|Will"),
        slot("{} the florist deliver the wreath to the church?", "Did|Will"),
        slot("{} the pest control company treat the loft for wasps?", "Did|Will"));
    vary(
        "modality",
        3,
        slot("{} I tip the removal crew?", "Should|Must"),
        slot("{} I bring my own shoes to the bowling alley?", "Can|Must"),
        slot("{} we leave our phones in a locker before the escape room?", "Can|Must"));
    vary(
        "quantifier",
        3,
        slot("Are {} of the karaoke rooms soundproofed?", "all|some"),
        slot("Do {} of the storage units have electricity?", "all|any"),
        slot("Are {} of the records in the sale still sealed?", "all|most"));
    vary(
        "scope",
        4,
        slot("Is the escape room suitable for {}?", "ten-year-olds|teenagers"),
        slot("Which skateboard size is right for {}?", "a toddler|an adult"),
        slot("What kite is best for {}?", "a small child|a grown-up beginner"),
        slot("Which haircut suits {} hair?", "thick curly|fine straight"));
    swap(
        "role_swap",
        5,
        slot("How do I copy my routines from {1} to {2}?", "Alexa|Google Home"),
        slot("Should the {1} go in front of the {2} in a low table arrangement?", "roses|lilies"),
        slot("Does the removal crew load the {1} before the {2}?", "piano|boxes"),
        slot("How do I set the language app to teach {1} to a {2} speaker?", "Portuguese|Spanish"),
        slot("Can I swap my {1} wheels for {2} ones on a cruiser?", "soft|hard"));
  }

  private void writeParaphrases() {
    restate(
        "reword",
        9,
        pair(
            "How do I get red wine out of a cotton shirt?",
            "What removes a red wine stain from" + " a cotton shirt?"),
        pair(
            "How long does a balayage take at the salon?",
            "How much time should I set aside" + " for a balayage appointment?"),
        pair(
            "Why does my record skip on the same track?",
            "What makes my vinyl jump at the same" + " spot on one track?"),
        pair(
            "How far in advance should I book a removal firm?",
            "How early do I need to reserve" + " movers?"),
        pair(
            "What should I do if the smart speaker stops hearing me?",
            "My smart speaker no" + " longer responds to my voice, what can I do?"),
        pair(
            "How do I keep cut roses fresh for longer?",
            "What makes a bunch of roses last" + " longer in a vase?"),
        pair(
            "How do I get rid of silverfish in the bathroom?",
            "What is the best way to clear" + " silverfish out of a bathroom?"),
        pair(
            "How many people can play one escape room?",
            "What is the largest group one escape" + " room takes?"),
        pair(
            "How do I learn to ollie on a skateboard?",
            "What is the way to teach myself an" + " ollie?"),
        pair(
            "Can a locksmith open a safe without damaging it?",
            "Is it possible for a locksmith" + " to get into a safe without breaking it?"),
        pair(
            "How do I stop my kite from spinning?",
            "What keeps a kite from spinning round and" + " round?"));
    restate(
        "typo_casing",
        7,
        pair(
            "how do i clean vinly records without a machine",
            "How do I clean vinyl records without a machine?"),
        pair(
            "wat temperature should i wash bedding at",
            "What temperature should I wash bedding" + " at?"),
        pair(
            "Best Way To Pack Plates For A House Move",
            "best way to pack plates for a house" + " move"),
        pair(
            "can the florist do a same day delivrey",
            "Can the florist do a same-day" + " delivery?"),
        pair(
            "how do i reset my smart thermostatt to factory settings",
            "How do I reset my smart thermostat to factory settings?"),
        pair(
            "is a fringe a good idae for a round face",
            "Is a fringe a good idea for a round" + " face?"),
        pair(
            "HOW DO I GET A SPARE KEY CUT FOR A DIMPLE LOCK",
            "how do I get a spare key cut for" + " a dimple lock"),
        pair(
            "how offen should i grease the bowling ball return",
            "How often should I grease the bowling ball return?"),
        pair(
            "can i book a karoke room for a birthday",
            "Can I book a karaoke room for a" + " birthday?"));
    restate(
        "abbreviation",
        7,
        pair(
            "How many sq ft of storage do I need for a 2-bed flat?",
            "How many square feet of" + " storage do I need for a two-bedroom flat?"),
        pair(
            "What rpm should I play a 12-inch single at?",
            "What revolutions per minute should" + " I play a 12-inch single at?"),
        pair(
            "Does the smart plug work on 2.4GHz wifi only?",
            "Does the smart plug only work on" + " 2.4 gigahertz wireless networks?"),
        pair(
            "Is a DIY pest treatment safe with a dog in the house?",
            "Is a do-it-yourself pest" + " treatment safe with a dog in the house?"),
        pair(
            "Does the removals quote incl. VAT?",
            "Does the removals quote include value added" + " tax?"),
        pair(
            "Can I book the escape room for 6 ppl on a weekday?",
            "Can I book the escape room" + " for 6 people on a weekday?"),
        pair("How much is a car wash w/ wax?", "How much is a car wash with wax?"),
        pair(
            "Which app is best for learning ESL vocab?",
            "Which app is best for learning" + " English as a second language vocabulary?"),
        pair(
            "Whats the max wind in kph for a beginner kite?",
            "What is the maximum wind in" + " kilometres per hour for a beginner kite?"));
    restate(
        "filler",
        6,
        pair(
            "Hi, quick question, do you dry clean leather jackets?",
            "Do you dry clean leather" + " jackets?"),
        pair(
            "Hey there! Just wondering, do you cut children's hair on Saturdays?",
            "Do you cut children's hair on Saturdays?"),
        pair(
            "So um basically, can I bring my own records to sell at the fair?",
            "Can I bring my own records to sell at the fair?"),
        pair(
            "Hello, I hope you're well. How much notice does the locksmith need?",
            "How much notice does the locksmith need?"),
        pair(
            "OK so, what's the best bait for a rat trap, thanks in advance",
            "What's the best bait for a rat trap?"),
        pair(
            "Hiya! Is there parking at the bowling alley? Cheers",
            "Is there parking at the" + " bowling alley?"),
        pair("Right, so, how do I wax a curb for skating?", "How do I wax a curb for skating?"),
        pair(
            "Morning all, can I leave my car at the car wash while I shop?",
            "Can I leave my car at the car wash while I shop?"));
    restate(
        "reorder",
        5,
        pair(
            "For a wedding in June, which flowers are in season?",
            "Which flowers are in season" + " for a wedding in June?"),
        pair(
            "In the language app, how do I turn off sound effects?",
            "How do I turn off sound" + " effects in the language app?"),
        pair(
            "With a new smart lock, how do I add a fingerprint?",
            "How do I add a fingerprint" + " with a new smart lock?"),
        pair(
            "At the self-storage site, can I access my unit at night?",
            "Can I access my unit" + " at night at the self-storage site?"),
        pair(
            "On a windy beach, how do I launch a big kite alone?",
            "How do I launch a big kite" + " alone on a windy beach?"),
        pair(
            "Before a house move, what should I do with the freezer?",
            "What should I do with" + " the freezer before a house move?"),
        pair(
            "After a haircut, how soon can I dye my hair?",
            "How soon can I dye my hair after a" + " haircut?"));
    restate(
        "question_imperative",
        5,
        pair(
            "Recommend a turntable for a beginner under 200 pounds.",
            "Which turntable would you" + " recommend for a beginner under 200 pounds?"),
        pair(
            "Explain how a smart lock's auto-lock works.",
            "How does a smart lock's auto-lock" + " work?"),
        pair(
            "List the steps to fold a fitted sheet.",
            "What are the steps to fold a fitted" + " sheet?"),
        pair(
            "Tell me what to pack first when moving house.",
            "What should I pack first when" + " moving house?"),
        pair(
            "Suggest a karaoke song for two people who can't sing.",
            "What karaoke song would" + " suit two people who can't sing?"),
        pair(
            "Give me tips for a first bowling night with kids.",
            "Do you have tips for a first" + " bowling night with kids?"),
        pair(
            "Describe how to rebuild a skateboard truck.",
            "How do you rebuild a skateboard" + " truck?"));
    restate(
        "number_equiv",
        5,
        pair(
            "Can I store 2 sofas in a 75 sq ft unit?",
            "Can I store two sofas in a 75 sq ft" + " unit?"),
        pair(
            "Is a dozen roses enough for a table centrepiece?",
            "Are 12 roses enough for a table" + " centrepiece?"),
        pair(
            "How much does it cost to move a 1,000 kg piano?",
            "How much does it cost to move a" + " 1000 kg piano?"),
        pair(
            "Can a group of four do the hardest escape room?",
            "Can a group of 4 do the hardest" + " escape room?"),
        pair(
            "Is half an hour enough to learn a karaoke song?",
            "Is 30 minutes enough to learn a" + " karaoke song?"),
        pair(
            "Does a 10-pound bowling ball suit a 12-year-old?",
            "Does a ten-pound bowling ball" + " suit a twelve-year-old?"),
        pair(
            "Do I need a 1k deposit for an international removal?",
            "Do I need a 1,000 deposit" + " for an international removal?"));
    restate(
        "unit_equiv",
        4,
        pair(
            "Can I dry a 2 kg duvet in a small tumble dryer?",
            "Can I dry a 2,000 g duvet in a" + " small tumble dryer?"),
        pair(
            "Is a 1.5 m wide kite too big for a child?",
            "Is a 150 cm wide kite too big for a" + " child?"),
        pair(
            "How long does a 90-minute escape room really take with the briefing?",
            "How long does an hour-and-a-half escape room really take with the briefing?"),
        pair(
            "Will a 1 TB drive hold my whole record collection as FLAC?",
            "Will a 1,000 GB" + " drive hold my whole record collection as FLAC?"),
        pair(
            "Can a bouquet survive 48 hours in the post?",
            "Can a bouquet survive two days in" + " the post?"));
    restate(
        "clock_equiv",
        4,
        pair("Does the car wash close at 8 pm?", "Does the car wash close at 20:00?"),
        pair(
            "Can I collect my shirts at 5:30 pm?",
            "Can I collect my shirts at half past five" + " in the evening?"),
        pair(
            "Is the bowling alley open until midnight?",
            "Is the bowling alley open until" + " 12 am?"),
        pair(
            "Can the locksmith come at 07:45?",
            "Can the locksmith come at a quarter to eight" + " in the morning?"));
    restate(
        "date_equiv",
        3,
        pair(
            "Can I get roses delivered on 14 Feb?",
            "Can I get roses delivered on Valentine's" + " Day?"),
        pair("Is the karaoke bar open on 31 October?", "Is the karaoke bar open on Halloween?"),
        pair("Can the movers come on Sat 3 May?", "Can the movers come on Saturday 3 May?"),
        pair(
            "Is the storage site open on 25 Dec?",
            "Is the storage site open on Christmas" + " Day?"));
    restate(
        "spelling_variant",
        3,
        pair("Which colour dye covers grey hair best?", "Which color dye covers gray hair best?"),
        pair(
            "How do I stop my jumper's wool fibres from pilling?",
            "How do I stop my sweater's" + " wool fibers from pilling?"),
        pair(
            "Can I store a favourite armchair in a damp unit?",
            "Can I store a favorite armchair" + " in a damp unit?"),
        pair("How do I organise records by genre?", "How do I organize records by genre?"));
    restate(
        "contraction",
        3,
        pair(
            "Why won't my smart doorbell connect to the wifi?",
            "Why will my smart doorbell not" + " connect to the wifi?"),
        pair(
            "I can't find my storage unit's padlock key, what now?",
            "I cannot find my storage" + " unit's padlock key, what now?"),
        pair(
            "What's the best wax for a skateboard ledge?",
            "What is the best wax for a" + " skateboard ledge?"),
        pair(
            "Why doesn't the car wash take my coins?",
            "Why does the car wash not take my" + " coins?"));
    restate(
        "synonym_verb",
        4,
        pair(
            "How do I fix a dripping tumble dryer vent?",
            "How do I repair a dripping tumble" + " dryer vent?"),
        pair("Can the salon remove old box dye?", "Can the salon strip old box dye?"),
        pair(
            "How do I begin a streak again in the language app?",
            "How do I restart a streak in" + " the language app?"),
        pair("Can I reserve a lane for a kids' party?", "Can I book a lane for a kids' party?"),
        pair("How do I assemble a stunt kite?", "How do I put together a stunt kite?"),
        pair(
            "How do I dispose of old paint before a move?",
            "How do I get rid of old paint" + " before a move?"));
    restate(
        "added_context",
        4,
        pair(
            "How do I stop wasps nesting under the roof?",
            "We had a nest last summer. How do I" + " stop wasps nesting under the roof?"),
        pair(
            "Can I change the karaoke song queue from my phone?",
            "It's my sister's hen night." + " Can I change the karaoke song queue from my phone?"),
        pair(
            "How do I store records so they don't warp?",
            "I just inherited my dad's"
                + " collection. How do I store records so they don't warp?"),
        pair(
            "Is a smart lock safe to use on a front door?",
            "My landlord said I can change the"
                + " lock. Is a smart lock safe to use on a front door?"));
    restate(
        "polite_not",
        3,
        pair(
            "I'm not a gardener, but how do I keep a flower arrangement alive for a week?",
            "How do I keep a flower arrangement alive for a week?"),
        pair(
            "Don't judge me, but how do I bowl without the bumpers?",
            "How do I bowl without" + " the bumpers?"),
        pair(
            "Not sure who to ask, but how do I unclog the lint filter housing?",
            "How do I unclog the lint filter housing?"));
    restate(
        "passive",
        3,
        pair(
            "Who sets the difficulty of the escape room puzzles?",
            "By whom is the difficulty of" + " the escape room puzzles set?"),
        pair(
            "Does the removal firm insure my furniture during the move?",
            "Is my furniture" + " insured by the removal firm during the move?"),
        pair(
            "Did the technician seal the mouse holes?",
            "Were the mouse holes sealed by the" + " technician?"));
  }

  /** A template and its fillers: "a|b" pairs, or for a two-slot template the pair to trade. */
  private record Slot(String template, String[] fillers) {}

  private static Slot slot(String template, String... fillers) {
    return new Slot(template, fillers);
  }

  private static String[] pair(String cached, String incoming) {
    return new String[] {cached, incoming};
  }

  /** Near misses: one template filled with each value of one of its filler pairs. */
  private void vary(String kind, int wanted, Slot... slots) {
    List<String[]> candidates = new ArrayList<>();
    for (Slot s : slots) {
      for (String filler : s.fillers()) {
        String[] values = filler.split("\\|", -1);
        candidates.add(
            pair(
                capitalised(s.template().replace("{}", values[0])),
                capitalised(s.template().replace("{}", values[1]))));
      }
    }
    pick("near_miss", kind, wanted, candidates);
  }

  /** Near misses: a two-slot template filled with a pair, then with the pair traded. */
  private void swap(String kind, int wanted, Slot... slots) {
    List<String[]> candidates = new ArrayList<>();
    for (Slot s : slots) {
      for (String filler : s.fillers()) {
        String[] values = filler.split("\\|", -1);
        String first = s.template().replace("{1}", values[0]).replace("{2}", values[1]);
        String second = s.template().replace("{1}", values[1]).replace("{2}", values[0]);
        candidates.add(pair(first, second));
      }
    }
    pick("near_miss", kind, wanted, candidates);
  }

  /** Paraphrases: pairs written out whole, of which a seeded draw keeps {@code wanted}. */
  private void restate(String kind, int wanted, String[]... pairs) {
    pick("paraphrase", kind, wanted, new ArrayList<>(List.of(pairs)));
  }

  /** Keeps {@code wanted} candidates in a seeded order, skipping any whose prompt was used. */
  private void pick(String label, String kind, int wanted, List<String[]> candidates) {
    int kept = 0;
    while (kept < wanted && !candidates.isEmpty()) {
      String[] candidate = candidates.remove(draw.nextInt(candidates.size()));
      String cached = candidate[0].toLowerCase(Locale.ROOT);
      String incoming = candidate[1].toLowerCase(Locale.ROOT);
      if (cached.equals(incoming) || seen.contains(cached) || seen.contains(incoming)) {
        continue;
      }
      seen.add(cached);
      seen.add(incoming);
      out.add(label + "\t" + kind + "\t" + candidate[0] + "\t" + candidate[1] + "\t" + SPLIT);
      kept++;
    }
    if (kept < wanted) {
      throw new IllegalStateException(kind + ": only " + kept + " of " + wanted + " pairs");
    }
  }

  private static String capitalised(String prompt) {
    return Character.toUpperCase(prompt.charAt(0)) + prompt.substring(1);
  }
}
