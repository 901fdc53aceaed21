"""What the commands do, without Discord: one service per concern, each taking its store,
clock and collaborators in its constructor and returning plain results (reply text, rendered
payloads, dataclasses) or raising the project's typed errors (`bot.errors`), which the one
error handler (`bot.app.tree`) turns into replies.

    digests.DigestService            digests and papers: the store, upstream on a miss (bounded)
    subscriptions.SubscriptionService  /digest subscribe, unsubscribe, list
    posting.PostingService           /digest preview, post-now
    status.StatusService             /digest status
    history.HistoryService           /history
    papers.PapersService             /hot, /paper
    outcomes, texts                  pure helpers: each day's outcome; the shared wording
    container.Services               all of the command services of one bot, built together

The cogs (`bot.app.cogs`) translate an interaction into one call here and the result into a
reply; the composition root (`bot.app.compose.build_bot`) builds every service once. Nothing
here imports discord.py.

The package imports none of its modules itself, so importing one service (the scheduler
imports `digests`) does not import them all.
"""
