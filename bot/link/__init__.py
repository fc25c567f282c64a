"""One person on Telegram and SMS (issue 12 items 3–4): linking a phone number with a code
sent by SMS, merging the number's own person into the linking one, and the SMS spending
counted per person for the fallback budget."""
