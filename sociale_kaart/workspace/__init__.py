"""The staff workspace (werkplek): editors keep their listings, brokers moderate (issue #3)."""
