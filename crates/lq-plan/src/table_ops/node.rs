//! Commands that work on the whole table in row order (`dedup`, `accum`, `pattern`, ...) as one
//! DataFusion plan node.
//!
//! Each such command is a [`TableOp`]: it sees all rows of its input, in order, and returns new rows.
//! The logical node [`TableOpNode`] carries it through DataFusion's optimizer; [`TableOpPlanner`]
//! turns it into [`TableOpExec`], which requires a single, ordered input partition.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DFSchema, DFSchemaRef, Result, exec_err};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{
    Expr, LogicalPlan, UserDefinedLogicalNode, UserDefinedLogicalNodeCore,
};
use datafusion::physical_expr::{EquivalenceProperties, LexOrdering, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, Distribution, ExecutionPlan, Partitioning, PlanProperties,
};
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};
use futures::StreamExt;

/// A command that transforms the whole table, in row order.
pub trait TableOp: fmt::Debug + Send + Sync {
    /// A one-line description for `--explain`; also identifies the operation in plan comparisons.
    fn describe(&self) -> String;

    /// The schema of the rows [`TableOp::run`] returns for input rows of `input`.
    fn output_schema(&self, input: &SchemaRef) -> Result<SchemaRef>;

    /// Transforms all rows. `input` holds the batches in row order.
    fn run(&self, input: Vec<RecordBatch>, output: &SchemaRef) -> Result<Vec<RecordBatch>>;

    /// The output schema for several inputs (the first is the pipeline, the others sub-queries).
    fn output_schema_of(&self, inputs: &[SchemaRef]) -> Result<SchemaRef> {
        match inputs.first() {
            Some(first) => self.output_schema(first),
            None => exec_err!("{} has no input", self.describe()),
        }
    }

    /// Transforms the rows of several inputs, each in row order.
    fn run_all(
        &self,
        inputs: Vec<Vec<RecordBatch>>,
        output: &SchemaRef,
    ) -> Result<Vec<RecordBatch>> {
        self.run(inputs.into_iter().next().unwrap_or_default(), output)
    }
}

/// The logical plan node of a [`TableOp`].
#[derive(Debug, Clone)]
pub struct TableOpNode {
    op: Arc<dyn TableOp>,
    inputs: Vec<LogicalPlan>,
    schema: DFSchemaRef,
}

impl TableOpNode {
    /// Wraps `op` over `inputs` (the pipeline first, then any sub-queries).
    pub fn try_new(op: Arc<dyn TableOp>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        let schemas: Vec<SchemaRef> = inputs
            .iter()
            .map(|i| Arc::new(i.schema().as_arrow().clone()))
            .collect();
        let out = op.output_schema_of(&schemas)?;
        let schema = Arc::new(DFSchema::try_from(out.as_ref().clone())?);
        Ok(TableOpNode { op, inputs, schema })
    }

    /// As a plan.
    pub fn into_plan(self) -> LogicalPlan {
        LogicalPlan::Extension(datafusion::logical_expr::Extension {
            node: Arc::new(self),
        })
    }
}

impl PartialEq for TableOpNode {
    fn eq(&self, other: &Self) -> bool {
        self.op.describe() == other.op.describe()
            && self.inputs == other.inputs
            && Arc::ptr_eq(&self.op, &other.op)
    }
}

impl Eq for TableOpNode {}

impl Hash for TableOpNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.op.describe().hash(state);
        self.inputs.hash(state);
    }
}

impl PartialOrd for TableOpNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.op.describe().partial_cmp(&other.op.describe())
    }
}

impl UserDefinedLogicalNodeCore for TableOpNode {
    fn name(&self) -> &str {
        "TableOp"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}", self.op.describe())
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(TableOpNode {
            op: self.op.clone(),
            inputs,
            schema: self.schema.clone(),
        })
    }
}

/// The physical operator: collects each input (one ordered partition each) and runs the op.
#[derive(Debug)]
pub struct TableOpExec {
    op: Arc<dyn TableOp>,
    inputs: Vec<Arc<dyn ExecutionPlan>>,
    orderings: Vec<Option<LexOrdering>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl TableOpExec {
    fn new(op: Arc<dyn TableOp>, inputs: Vec<Arc<dyn ExecutionPlan>>, schema: SchemaRef) -> Self {
        let orderings = inputs
            .iter()
            .map(|i| i.properties().output_ordering().cloned())
            .collect();
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        TableOpExec {
            op,
            inputs,
            orderings,
            schema,
            properties,
        }
    }
}

impl DisplayAs for TableOpExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "TableOpExec: {}", self.op.describe())
    }
}

impl ExecutionPlan for TableOpExec {
    fn name(&self) -> &str {
        "TableOpExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn required_input_distribution(&self) -> Vec<Distribution> {
        vec![Distribution::SinglePartition; self.inputs.len()]
    }

    fn required_input_ordering(
        &self,
    ) -> Vec<Option<datafusion::physical_expr::OrderingRequirements>> {
        self.orderings
            .iter()
            .map(|o| {
                o.clone()
                    .map(datafusion::physical_expr::OrderingRequirements::from)
            })
            .collect()
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![false; self.inputs.len()]
    }

    fn benefits_from_input_partitioning(&self) -> Vec<bool> {
        vec![false; self.inputs.len()]
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.inputs.iter().collect()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut exec = TableOpExec::new(self.op.clone(), children, self.schema.clone());
        for (new, old) in exec.orderings.iter_mut().zip(&self.orderings) {
            if new.is_none() {
                *new = old.clone();
            }
        }
        Ok(Arc::new(exec))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let streams = self
            .inputs
            .iter()
            .map(|i| i.execute(partition, context.clone()))
            .collect::<Result<Vec<_>>>()?;
        let op = self.op.clone();
        let schema = self.schema.clone();
        let out_schema = schema.clone();
        let stream = futures::stream::once(async move {
            let mut all = Vec::new();
            for mut input in streams {
                let mut batches = Vec::new();
                while let Some(batch) = input.next().await {
                    let batch = batch?;
                    if batch.num_rows() > 0 {
                        batches.push(batch);
                    }
                }
                all.push(batches);
            }
            let out = op.run_all(all, &out_schema)?;
            Ok::<_, datafusion::error::DataFusionError>(futures::stream::iter(
                out.into_iter().map(Ok),
            ))
        })
        .map(|r| match r {
            Ok(s) => s.boxed(),
            Err(e) => futures::stream::iter(vec![Err(e)]).boxed(),
        })
        .flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// Plans [`TableOpNode`]s.
#[derive(Debug, Default)]
pub struct TableOpPlanner;

#[async_trait]
impl ExtensionPlanner for TableOpPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(node) = node.as_any().downcast_ref::<TableOpNode>() else {
            return Ok(None);
        };
        let schema: SchemaRef = Arc::new(node.schema.as_arrow().clone());
        Ok(Some(Arc::new(TableOpExec::new(
            node.op.clone(),
            physical_inputs.to_vec(),
            schema,
        ))))
    }
}

/// The query planner lq installs: DataFusion's, plus [`TableOpPlanner`].
#[derive(Debug, Default)]
pub struct LqQueryPlanner;

#[async_trait]
impl QueryPlanner for LqQueryPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session_state: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(TableOpPlanner)])
            .create_physical_plan(logical_plan, session_state)
            .await
    }
}
