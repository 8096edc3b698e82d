-- Why: Freelancer-style marketplaces take a bid's first milestone as a share
-- of its amount (0 to 100 %). Until now every bid was sent with 0; the bid
-- keeps its own value, sent on create and edit and pulled back. Existing bids
-- asked for no upfront milestone, so 0 is their true value. Numbered 0008
-- because 0007 is being added on another branch at the same time.

ALTER TABLE bids ADD COLUMN milestone_percentage INTEGER NOT NULL DEFAULT 0
    CHECK (milestone_percentage BETWEEN 0 AND 100);
