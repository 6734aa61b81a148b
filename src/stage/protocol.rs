//! Protocol stage: decode problems recorded by ingest become symbols, so a
//! malformed message is scored for being malformed rather than dropped.

use super::{Evidence, ScanContext, Stage, StageError, StageScratch};
use crate::message::{Message, ProblemKind};
use crate::symbols::{self, SymbolDef, SymbolId, SymbolTable};

/// Raises the built-in `FW_*` symbol of each decode problem.
pub struct ProtocolStage {
    /// Indexed like `ProblemKind::ALL`.
    symbols: Vec<SymbolId>,
}

impl ProtocolStage {
    /// Registers the `FW_*` problem symbols in `table`.
    pub fn new(table: &mut SymbolTable) -> ProtocolStage {
        let symbols = ProblemKind::ALL
            .iter()
            .map(|&kind| {
                let b = symbols::for_problem(kind);
                let def = SymbolDef {
                    name: b.name.into(),
                    score: b.score,
                    description: b.description.into(),
                };
                table.lookup(b.name).unwrap_or_else(|| table.register(def))
            })
            .collect();
        ProtocolStage { symbols }
    }
}

impl Stage for ProtocolStage {
    fn name(&self) -> &'static str {
        "protocol"
    }

    fn new_scratch(&self) -> StageScratch {
        Box::new(())
    }

    fn scan(
        &self,
        msg: &Message<'_>,
        _cx: &ScanContext<'_>,
        _scratch: &mut StageScratch,
        evidence: &mut Evidence,
    ) -> Result<(), StageError> {
        for problem in &msg.problems {
            if let Some(i) = ProblemKind::ALL.iter().position(|&k| k == problem.kind) {
                evidence.fire(self.symbols[i]);
            }
        }
        Ok(())
    }
}
