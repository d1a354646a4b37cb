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
 * Writes the template part of {@code semantic-eval/judged-6.tsv} (split {@code judged6-templ}):
 * labelled prompt pairs made from templates and slot fillers in domains no other set covers
 * (mountaineering, aquariums, bookbinding, calligraphy, amateur radio, drones, 3D printing, board
 * games, theatre, opera, ballet, skiing, surfing, birdwatching, perfumery, jewellery, watchmaking,
 * tailoring, bakery, beer brewing, cheesemaking, solar panels, EV charging, spreadsheets, SQL
 * databases, cloud billing).
 *
 * <p>A near miss fills one template with the two values of a filler pair that differ in one kind of
 * detail (or, for a template with two slots, swaps the two values); a paraphrase fills two wordings
 * of one request with the same filler. The choice of combinations is seeded, so the rows are the
 * same on every run; no prompt is used twice.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.aigateway.benchmarks.Judged6TemplateGenerator \
 *     OUTPUT.tsv
 * </pre>
 *
 * <p>The command writes the rows without a header; {@code judged-6.tsv} holds them after its
 * hand-written and task rows.
 */
public final class Judged6TemplateGenerator {

  /** The split every generated row carries. */
  static final String SPLIT = "judged6-templ";

  private final Random random = new Random(20261205L);
  private final Set<String> prompts = new HashSet<>();
  private final List<String> rows = new ArrayList<>();

  private Judged6TemplateGenerator() {}

  /**
   * Writes the generated rows.
   *
   * @param args the file to write
   * @throws IOException if the file cannot be written
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: Judged6TemplateGenerator OUTPUT.tsv");
    }
    List<String> generated = generate();
    Files.write(Path.of(args[0]), generated, StandardCharsets.UTF_8);
    System.out.println("wrote " + generated.size() + " pairs to " + args[0]);
  }

  /** Every generated row, without a header. */
  static List<String> generate() {
    Judged6TemplateGenerator g = new Judged6TemplateGenerator();
    g.nearMisses();
    g.paraphrases();
    return List.copyOf(g.rows);
  }

  private void nearMisses() {
    shared(
        "modality",
        4,
        pairs("Must", "May", "Should", "Can", "Must", "Can"),
        "%s I register a 249-gram drone before flying it over a public park?",
        "%s a climber stay clipped to the fixed rope while crossing the glacier?",
        "%s I add priming sugar before bottling a pale ale?",
        "%s a ballet student dance en pointe before the age of twelve?");
    shared(
        "tense",
        4,
        pairs("Did", "Will", "Did", "Does"),
        "%s the ski resort open the north face lifts on Saturday?",
        "%s the brewery release its oatmeal stout in November?",
        "%s the opera house cast a new Tosca for the spring season?",
        "%s the cloud provider raise the price of archive storage?",
        "%s the watchmaker replace the mainspring of my chronograph?");
    shared(
        "quantifier",
        4,
        pairs("all", "some", "all", "none", "most", "any"),
        "Do %s of the solar panels on a split roof need their own optimiser?",
        "Should %s of the cheeses in the cave be turned every day?",
        "Are %s of the pieces in this board game used in the opening?",
        "Do %s of the rows in the orders table have a shipping date?");
    shared(
        "clock_time",
        4,
        pairs("6:30 am", "6:30 pm", "7:15 am", "7:45 am", "5 am", "5 pm"),
        "Is %s a good time to start the summit push on a glacier route?",
        "Is the fast charger at the motorway services free to use at %s?",
        "Should I feed my sourdough starter at %s to bake the next morning?",
        "Is %s too early to go birdwatching for owls in December?");
    each(
        "number_unit",
        5,
        new Template("How long does a %s solar array take to pay for itself?", "4 kW", "10 kW"),
        new Template(
            "How many hours does it take to charge a %s battery on a 7 kW wallbox?",
            "60 kWh", "100 kWh"),
        new Template("How many fish can I keep in a %s aquarium?", "60-litre", "200-litre"),
        new Template(
            "What infill percentage should a 3D-printed shelf bracket have to hold %s?",
            "5 kg", "50 kg"),
        new Template("How long should a %s wheel of cheddar be aged?", "2 kg", "20 kg"),
        new Template("How many watts does a %s ham radio amplifier draw?", "100 W", "1,500 W"));
    each(
        "measurement_system",
        4,
        new Template(
            "What length of rope do I need for a multi-pitch route, %s?", "in metres", "in feet"),
        new Template(
            "How heavy a pack should I carry on a three-day trek, %s?",
            "in kilograms", "in pounds"),
        new Template(
            "What is the ideal water temperature for a reef aquarium, %s?",
            "in Celsius", "in Fahrenheit"),
        new Template(
            "How much snow fell at the ski resort overnight, %s?", "in centimetres", "in inches"),
        new Template(
            "How long should a bespoke jacket's sleeve be for a 180 cm man, %s?",
            "in centimetres", "in inches"));
    each(
        "negation",
        4,
        new Template(
            "Why is it that my bread dough %s overnight in the fridge?", "rises", "does not rise"),
        new Template(
            "What does it mean when the curd %s after adding rennet?", "sets", "does not set"),
        new Template(
            "Why is it that the wort %s during the first day of fermentation?",
            "foams", "does not foam"),
        new Template(
            "Why is it that my drone %s after the firmware update?",
            "connects", "does not connect"),
        new Template(
            "What does it mean when a resin print %s to the build plate?",
            "sticks", "does not stick"));
    each(
        "comparative",
        4,
        new Template("Are carbon ski poles %s than aluminium ones?", "heavier", "lighter"),
        new Template(
            "Is a down sleeping bag %s than a synthetic one of the same weight?",
            "warmer", "colder"),
        new Template("Is a longboard %s than a shortboard in small waves?", "faster", "slower"),
        new Template(
            "Is a quartz movement %s to service than a mechanical one?",
            "cheaper", "more expensive"),
        new Template("Is rye dough %s than wheat dough?", "stickier", "less sticky"));
    swaps(
        "role_swap",
        5,
        new Template("Should the %s lead the %s on the rope when descending?", "guide", "client"),
        new Template(
            "Will a %s outcompete a %s for food in a community aquarium?",
            "tetra", "guppy", "cory catfish", "bristlenose pleco"),
        new Template("In the second act, does %s betray %s?", "the Count", "Figaro"),
        new Template(
            "How do I copy the formatting of %s onto %s in a spreadsheet?",
            "column A", "column D", "Sheet1", "Sheet2"),
        new Template(
            "Write a SQL query that copies the rows of the %s table into the %s table.",
            "staging", "production"),
        new Template(
            "In ballet, does the %s partner lift the %s in the grand pas de deux?",
            "male", "female"));
    each(
        "entity",
        5,
        new Template(
            "What filament should I use to print %s?",
            "a phone case", "a vase", "a gear", "a drone frame"),
        new Template(
            "Which ink works best for %s calligraphy?", "copperplate", "italic", "gothic", "brush"),
        new Template("Who composed the opera %s?", "Rigoletto", "Turandot", "Lakmé", "Norma"),
        new Template(
            "What glue do I use to bind %s?",
            "a paperback", "a sketchbook", "a photo album", "a board book"),
        new Template(
            "Which birds can I see around %s in winter?",
            "the Camargue", "the Wash", "Lake Neusiedl", "the Danube delta"));
    each(
        "scope",
        4,
        new Template(
            "Which length of skis should I buy %s?",
            "for a first-time skier", "for a ski instructor", "for a child", "for an adult"),
        new Template(
            "What proving cabinet should I buy %s?",
            "for a small café", "for an industrial bakery"),
        new Template(
            "What size of surfboard is right %s?", "for a beginner", "for a professional surfer"),
        new Template(
            "How long should a pair of pointe shoes last %s?",
            "for a ballet student", "for a principal dancer"));
    each(
        "antonym",
        4,
        new Template("Why does my bread crust turn soft in %s weather?", "humid", "dry"),
        new Template("How do I fix a %s waistband on tailored trousers?", "loose", "tight"),
        new Template("Which perfume notes last longest on %s skin?", "oily", "dry"),
        new Template("Which wax should I put on my surfboard for %s water?", "warm", "cold"),
        new Template("Why does my climbing harness feel %s after washing?", "stiff", "soft"));
    each(
        "action",
        4,
        new Template(
            "How do I %s a reserved instance in my cloud billing account?", "cancel", "modify"),
        new Template(
            "How do I %s my subscription to the 3D printing service?",
            "pause", "cancel", "upgrade", "downgrade"),
        new Template(
            "How do I %s an index on a large PostgreSQL table without downtime?", "create", "drop"),
        new Template("How do I %s my tickets for the opera gala?", "cancel", "exchange"));
    shared(
        "with_without",
        4,
        pairs("with", "without"),
        "Can I make sourdough %s commercial yeast?",
        "Can I brew a lager %s a temperature-controlled fridge?",
        "Can I fly a drone at night %s anti-collision lights?",
        "Can I solder a jump ring %s flux?",
        "Can I make mozzarella %s citric acid?",
        "Can I learn calligraphy %s a slanted desk?");
    shared(
        "frequency",
        4,
        pairs("every day", "every week", "once a month", "once a year"),
        "Should a mechanical watch be wound %s?",
        "Should I clean the canister filter of my aquarium %s?",
        "Should the cloud cost report be emailed to the team %s?",
        "Should I hose the dust off my solar panels %s?");
    shared(
        "ordinal",
        4,
        pairs("first", "last", "second", "third", "first", "final"),
        "What happens in the %s act of Swan Lake?",
        "What is the %s stage of cleaning a watch movement?",
        "Which is the %s camp on the normal route up Aconcagua?",
        "What do I do in the %s round of this deck-building game?");
    shared(
        "time_zone",
        4,
        pairs(
            "UTC",
            "Pacific time",
            "Central European Time",
            "India Standard Time",
            "GMT",
            "Australian Eastern Time"),
        "Show me the cloud bill totals for each day in %s.",
        "When does the opera's live stream start in %s?",
        "Convert the drone flight log timestamps to %s.",
        "Group the database's login events by hour in %s.");
    shared(
        "currency",
        4,
        pairs(
            "in euros",
            "in US dollars",
            "in yen",
            "in pounds",
            "in Swiss francs",
            "in Canadian dollars"),
        "Show my monthly cloud spend %s.",
        "How much does servicing a Swiss automatic watch cost %s?",
        "How much does a bespoke suit from Savile Row cost %s?",
        "Price this home solar installation %s.");
    shared(
        "rounding_precision",
        4,
        pairs(
            "to two decimal places",
            "to four decimal places",
            "rounded up",
            "rounded down",
            "to one decimal place",
            "to the nearest whole number"),
        "Show each project's cloud cost %s.",
        "Compute the average order value in SQL, %s.",
        "Convert the recipe's yeast from grams to ounces, %s.",
        "Make the spreadsheet show the unit prices %s.");
    each(
        "sort_order",
        3,
        new Template(
            "Sort the spreadsheet of tasting notes by date, %s.",
            "ascending", "descending", "oldest first", "newest first"),
        new Template(
            "List the charges on the cloud bill by amount, %s.", "largest first", "smallest first"),
        new Template(
            "List the birds on my sighting log by date, %s.", "oldest first", "newest first"));
    each(
        "sort_key",
        4,
        new Template(
            "Sort the perfume inventory spreadsheet %s.",
            "by name", "by price", "by brand", "by date added"),
        new Template(
            "Write a SQL query that lists the board games in the table %s.",
            "by name", "by rating", "by playing time", "by number of players"),
        new Template("Sort my ski rental catalogue %s.", "by length", "by price"),
        new Template("Sort the cloud resources in the cost report %s.", "by cost", "by region"));
    shared(
        "and_or",
        4,
        pairs("and", "or"),
        "Write a SQL query for orders that are refunded %s shipped abroad.",
        "Highlight the spreadsheet rows where the stock is low %s the price is above 50.",
        "Alert me when the drone battery is below 20%% %s the wind is above 30 km/h.",
        "Find the cloud resources that are untagged %s idle for a week.");
    shared(
        "match_scope",
        3,
        pairs("the first", "every", "the last", "every"),
        "Write a spreadsheet formula that returns %s row where the status is Overdue.",
        "Write a SQL query that returns %s order of each customer.",
        "Highlight %s cell that contains the word Paris.");
    shared(
        "case_sensitivity",
        3,
        pairs("case-sensitive", "case-insensitive"),
        "Write a %s SQL query that finds members whose username is Admin.",
        "Write a %s spreadsheet formula that counts the cells containing apple.",
        "Write a %s search of the perfume notes for Vanilla.",
        "Write a %s lookup of the call sign in the amateur radio log.");
    shared(
        "field_include_exclude",
        3,
        pairs("including the email column", "excluding the email column"),
        "Export the members table of the climbing club to CSV, %s.",
        "Copy the customer sheet of the bakery into a new spreadsheet, %s.",
        "Dump the subscribers table of the theatre to JSON, %s.");
    shared(
        "min_max",
        4,
        pairs("minimum", "maximum", "lowest", "highest"),
        "What is the %s wind speed for surfing a point break?",
        "What is the %s height a drone may fly at in the EU open category?",
        "What is the %s water hardness for a discus aquarium?",
        "What is the %s cloud bill we had in a single month?");
    each(
        "per_unit_total",
        4,
        new Template(
            "How much does charging at an ultra-fast charger cost %s?",
            "per kWh", "for a full charge"),
        new Template(
            "How much VAT do I pay on the earrings I bought online, %s?",
            "per pair", "for the whole order"),
        new Template(
            "What does the cloud provider charge for outbound data transfer %s?",
            "per GB", "for the whole month"),
        new Template(
            "How much does the bakery charge for sourdough loaves %s?",
            "per loaf", "for a weekly order of 40"));
    shared(
        "net_gross",
        3,
        pairs("net", "gross"),
        "What is the %s weight of a 1-kilo bag of bread flour?",
        "What is the %s profit of a small craft brewery in its first year?",
        "What is the %s output of a 400 W solar panel after inverter losses?");
    shared(
        "start_end",
        4,
        pairs("start", "end", "beginning", "end"),
        "What warm-up should dancers do at the %s of a ballet class?",
        "What do I check at the %s of a ski touring day?",
        "How do I log the %s of a contact in an amateur radio logbook?",
        "When is the %s of the billing cycle in my cloud account?");
    shared(
        "input_output",
        3,
        pairs("input", "output"),
        "What is the %s voltage of my solar charge controller?",
        "What is the %s power of a 50-watt ham radio transceiver?",
        "What %s file format does this 3D printing slicer use?");
    each(
        "location_prep",
        4,
        new Template("Is it safe to mount an EV charger %s the garage?", "inside", "outside"),
        new Template(
            "Should I put the aquarium heater %s the filter outflow?",
            "above", "below", "next to", "far from"),
        new Template("Should the prompter's box be %s the curtain line?", "in front of", "behind"),
        new Template("Can I install solar panels %s a skylight?", "above", "beside"));
    shared(
        "approximate_exact",
        3,
        pairs("about", "exactly", "roughly", "precisely"),
        "Should the mash be held at %s 67 degrees Celsius?",
        "Is it fine if my drone is %s 120 metres above ground?",
        "Should a watch gain %s 5 seconds a day after servicing?");
    shared(
        "range_bound",
        3,
        pairs("between 10 and 20 inclusive", "strictly between 10 and 20"),
        "Write a SQL query for the sensors whose reading is %s.",
        "Highlight the spreadsheet cells whose value is %s.",
        "Count the board game sessions whose player count is %s.");
    shared(
        "transfer_direction",
        3,
        pairs("import", "export", "upload", "download"),
        "How do I %s the flight plans of my drone to the controller?",
        "How do I %s a CSV of tasting notes in the spreadsheet?",
        "How do I %s the log of my amateur radio contacts to the club server?");
    shared(
        "inverse_operation",
        3,
        pairs("merge", "split", "freeze", "unfreeze", "hide", "unhide"),
        "How do I %s cells in a spreadsheet without losing data?",
        "How do I %s the first row of a shared spreadsheet?",
        "How do I %s columns in the cloud billing export sheet?");
  }

  private void paraphrases() {
    para(
        "reword",
        10,
        new Wording(
            "How do I stop %s?",
            "What can I do to prevent %s?",
            "stringing on my 3D prints",
            "condensation inside my watch",
            "algae on the glass of my aquarium",
            "feathering on my calligraphy strokes",
            "fog on my ski goggles"),
        new Wording(
            "What causes %s?",
            "Why do I get %s?",
            "warping on the corners of my 3D prints",
            "cracks in the rind of my cheese",
            "a sour taste in my home-brewed beer",
            "blisters on the crust of my baguettes"),
        new Wording(
            "Is there a way to fix %s?",
            "How can I repair %s?",
            "a sticky crown on a vintage watch",
            "a warped cover on a hand-bound book",
            "a ding in my surfboard"));
    para(
        "synonym_verb",
        6,
        new Wording(
            "How do I repair %s?",
            "How do I mend %s?",
            "a torn book spine",
            "a split seam in tailored trousers",
            "a broken propeller guard on my drone"),
        new Wording(
            "How do I choose %s?",
            "How do I select %s?",
            "a first telescope for birdwatching",
            "the right nib for copperplate",
            "a wetsuit for winter surfing"),
        new Wording(
            "How do I clean %s?",
            "How do I wash %s?", "a gold chain with tarnish", "the glass lid of an aquarium"));
    para(
        "reorder",
        6,
        new Wording(
            "In a small apartment, how do I %s?",
            "How do I %s in a small apartment?",
            "brew beer from a kit",
            "store a collection of perfumes",
            "set up a nano aquarium",
            "run an amateur radio station"),
        new Wording(
            "For a beginner, what is the best way to %s?",
            "What is the best way to %s for a beginner?",
            "practise calligraphy every day",
            "age hard cheese",
            "learn to fly a drone"));
    para(
        "filler",
        6,
        new Wording(
            "How do I %s?",
            "Hi! Quick question, how do I %s?",
            "wax a surfboard",
            "sew a buttonhole by hand",
            "calibrate a drone compass"),
        new Wording(
            "What is the easiest way to %s?",
            "Sorry to bother you, but what is the easiest way to %s?",
            "level the bed of a 3D printer",
            "resize a silver ring",
            "shape a boule of dough"));
    fixed(
        "paraphrase",
        "abbreviation",
        "What is the best SPF for surfing all day?",
        "What is the best sun protection factor for surfing all day?",
        "How do I check the SWR of a dipole antenna?",
        "How do I check the standing wave ratio of a dipole antenna?",
        "How long does a DC fast charger take to reach 80%?",
        "How long does a direct current fast charger take to reach 80%?",
        "What is a typical bitterness for an India pale ale?",
        "What is a typical bitterness for an IPA?",
        "How do I write a CTE in PostgreSQL?",
        "How do I write a common table expression in PostgreSQL?",
        "What does a BMS do in a home solar battery?",
        "What does a battery management system do in a home solar battery?",
        "Can I fly my UAV over a national park?",
        "Can I fly my unmanned aerial vehicle over a national park?");
    para(
        "question_imperative",
        6,
        new Wording(
            "Explain how to %s.",
            "How do I %s?",
            "tie a figure-eight knot for climbing",
            "fold a signature for a hand-bound book",
            "calculate the alcohol content of a home brew"),
        new Wording(
            "Tell me the best way to %s.",
            "What is the best way to %s?",
            "set up a VLOOKUP across two sheets",
            "join two tables in SQL on a shared key",
            "reduce idle costs in my cloud account"));
    para(
        "passive",
        5,
        new Wording(
            "How is %s made by a perfumer?",
            "How does a perfumer make %s?",
            "an eau de cologne",
            "a chypre accord",
            "a solid perfume"),
        new Wording(
            "How is %s prepared by a baker?",
            "How does a baker prepare %s?", "a laminated dough", "a rye sourdough", "a brioche"));
    para(
        "typo_casing",
        6,
        new Wording(
            "How do I %s?",
            "how do i %s",
            "sharpen a calligraphy nib",
            "tune an antenna with an SWR meter",
            "glue a chipped opal back into its setting",
            "rehearse a monologue for an audition",
            "replace a watch crystal",
            "plant a carpet of moss in an aquascape"));
    para(
        "constraint_order",
        6,
        new Wording(
            "Write a %s, in British English, under 100 words.",
            "Write a %s under 100 words, in British English.",
            "welcome message for new members of a birdwatching club",
            "product description for a handmade silver pendant",
            "reminder for ballet students about the dress rehearsal"),
        new Wording(
            "In three bullet points and a friendly tone, write a %s.",
            "Write a %s in a friendly tone, as three bullet points.",
            "notice about the EV chargers being repaired in our car park",
            "summary of our monthly cloud bill for the finance team",
            "note to theatre volunteers about the new box office hours"));
    fixed(
        "paraphrase",
        "number_equiv",
        "Can a 12-year-old take a ski instructor course?",
        "Can a twelve-year-old take a ski instructor course?",
        "Is a dozen fish too many for a 100-litre tank?",
        "Are 12 fish too many for a 100-litre tank?",
        "How many loaves does half a kilo of flour make?",
        "How many loaves does 500 g of flour make?",
        "Is a quarter of an hour enough to warm up before a ballet class?",
        "Is 15 minutes enough to warm up before a ballet class?",
        "Can a 1,000-watt inverter run a fridge?",
        "Can a 1000-watt inverter run a fridge?");
    fixed(
        "paraphrase",
        "clock_equiv",
        "Does the ski lift open at 8:30 am?",
        "Does the ski lift open at half past eight in the morning?",
        "Is the opera matinee at 2 pm?",
        "Is the opera matinee at 14:00?",
        "Is it cheaper to charge my EV after 11 pm?",
        "Is it cheaper to charge my EV after 23:00?",
        "Is a 5:45 am start too early for a birding walk?",
        "Is a quarter to six in the morning too early for a birding walk?");
    fixed(
        "paraphrase",
        "date_equiv",
        "What is on at the opera house on 14 February?",
        "What is on at the opera house on Valentine's Day?",
        "Is the brewery taproom open on 1 January?",
        "Is the brewery taproom open on New Year's Day?",
        "Does the ski season end on 15 April?",
        "Does the ski season end on April 15?",
        "Is the cloud bill issued on the 1st of each month?",
        "Is the cloud bill issued on the first day of each month?");
    fixed(
        "paraphrase",
        "unit_equiv",
        "Can my drone fly 2 km away from the controller?",
        "Can my drone fly 2,000 metres away from the controller?",
        "Is 1.5 kg of flour enough for three loaves?",
        "Is 1500 g of flour enough for three loaves?",
        "Will a 7 kW charger fill a 70 kWh battery in 10 hours?",
        "Will a 7,000 W charger fill a 70 kWh battery in 10 hours?",
        "Can I store 1 TB of backups in the cloud for free?",
        "Can I store 1,000 GB of backups in the cloud for free?");
    fixed(
        "paraphrase",
        "spelling_variant",
        "How do I colour bookbinding thread with beeswax?",
        "How do I color bookbinding thread with beeswax?",
        "Which jewellery metals cause skin allergies?",
        "Which jewelry metals cause skin allergies?",
        "How do I centre a title across columns in a spreadsheet?",
        "How do I center a title across columns in a spreadsheet?",
        "What theatre lighting do I need for a small stage?",
        "What theater lighting do I need for a small stage?");
    fixed(
        "paraphrase",
        "contraction",
        "Why won't my 3D printer's nozzle heat up?",
        "Why will my 3D printer's nozzle not heat up?",
        "Why doesn't my camembert grow a white rind?",
        "Why does my camembert not grow a white rind?",
        "What's a good first board game for a family of four?",
        "What is a good first board game for a family of four?");
    fixed(
        "paraphrase",
        "polite_not",
        "I'm not an expert, so how do I read an avalanche bulletin?",
        "How do I read an avalanche bulletin?",
        "Don't laugh, but how do I hold a calligraphy pen?",
        "How do I hold a calligraphy pen?",
        "I don't want to waste your time, but how do I set a budget alert in my cloud account?",
        "How do I set a budget alert in my cloud account?");
    para(
        "added_context",
        5,
        new Wording(
            "How do I %s?",
            "I'm new to this hobby. How do I %s?",
            "read a weather chart before a ski tour",
            "choose a first pair of ballet shoes",
            "pick a starter deck for a trading card game"),
        new Wording(
            "How do I %s?",
            "My club meets on Saturday. How do I %s?",
            "log a contact on the 20-metre band",
            "stitch a kettle stitch in bookbinding"));
  }

  /** A template with its fillers: pairs of values for a near miss, or two values to swap. */
  private record Template(String text, String... values) {}

  /** Two wordings of one request, and the fillers both are written with. */
  private record Wording(String first, String second, String... fillers) {}

  private static String[][] pairs(String... values) {
    String[][] out = new String[values.length / 2][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new String[] {values[2 * i], values[2 * i + 1]};
    }
    return out;
  }

  /** Near misses: every template filled with both values of each shared pair. */
  private void shared(String kind, int count, String[][] pairs, String... templates) {
    List<String[]> combos = new ArrayList<>();
    for (String t : templates) {
      for (String[] pair : pairs) {
        combos.add(new String[] {sentence(t, pair[0]), sentence(t, pair[1])});
      }
    }
    take("near_miss", kind, count, combos);
  }

  /** Near misses: each template filled with both values of each of its own pairs. */
  private void each(String kind, int count, Template... templates) {
    List<String[]> combos = new ArrayList<>();
    for (Template t : templates) {
      for (String[] pair : pairs(t.values())) {
        combos.add(new String[] {sentence(t.text(), pair[0]), sentence(t.text(), pair[1])});
      }
    }
    take("near_miss", kind, count, combos);
  }

  /** Near misses: each template's two slots filled with a pair, then with the pair swapped. */
  private void swaps(String kind, int count, Template... templates) {
    List<String[]> combos = new ArrayList<>();
    for (Template t : templates) {
      for (String[] pair : pairs(t.values())) {
        combos.add(
            new String[] {
              t.text().formatted(pair[0], pair[1]), t.text().formatted(pair[1], pair[0])
            });
      }
    }
    take("near_miss", kind, count, combos);
  }

  /** Paraphrases: both wordings filled with one filler. */
  private void para(String kind, int count, Wording... wordings) {
    List<String[]> combos = new ArrayList<>();
    for (Wording w : wordings) {
      for (String f : w.fillers()) {
        combos.add(new String[] {sentence(w.first(), f), sentence(w.second(), f)});
      }
    }
    take("paraphrase", kind, count, combos);
  }

  /** Pairs written out whole: cached, incoming, cached, incoming, ... */
  private void fixed(String label, String kind, String... prompts) {
    for (int i = 0; i + 1 < prompts.length; i += 2) {
      add(label, kind, prompts[i], prompts[i + 1]);
    }
  }

  private void take(String label, String kind, int count, List<String[]> combos) {
    Collections.shuffle(combos, random);
    int taken = 0;
    for (String[] c : combos) {
      if (taken == count) {
        break;
      }
      if (add(label, kind, c[0], c[1])) {
        taken++;
      }
    }
  }

  private boolean add(String label, String kind, String cached, String incoming) {
    String a = cached.toLowerCase(Locale.ROOT);
    String b = incoming.toLowerCase(Locale.ROOT);
    if (a.equals(b) || prompts.contains(a) || prompts.contains(b)) {
      return false;
    }
    prompts.add(a);
    prompts.add(b);
    rows.add(String.join("\t", label, kind, cached, incoming, SPLIT));
    return true;
  }

  /** Fills a template; a template that opens with its slot gets a capital first letter. */
  private static String sentence(String template, String filler) {
    String s = template.formatted(filler);
    return template.startsWith("%s") ? Character.toUpperCase(s.charAt(0)) + s.substring(1) : s;
  }
}
