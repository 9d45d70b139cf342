-- Whether the recipient card itself reported a payment (an INCOMING record). A payment credited to a card that
-- never reported it is withheld from the card's sync results: the card may still receive it offline (a point of
-- sale that missed it asks the payer card again), and must not get it twice.

ALTER TABLE transactions ADD COLUMN recipient_reported INTEGER NOT NULL DEFAULT 0;

-- A sync result's sweep (the excess over the card's maximum, shadow -> online) is booked only when a later report
-- shows the card applied that result: a card that never applies it keeps its balance, and its shadow keeps covering it.
ALTER TABLE syncs ADD COLUMN sweep INTEGER NOT NULL DEFAULT 0;
ALTER TABLE syncs ADD COLUMN sweep_booked INTEGER NOT NULL DEFAULT 0;
